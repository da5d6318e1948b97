//===- RankWatchdog.h - a job's ranks hear from each other or end it ------===//
//
// A rank that stops (SIGSTOP, a hung machine) leaves the others waiting in
// their next collective for ever: MPI has no timeout, and a rank computing
// a long prefill between two collectives must not look dead. So each rank
// runs a thread that says "alive" to every other rank once a second on a
// communicator of its own, whatever its main thread is doing, and listens
// for theirs. A rank not heard from for the timeout (LLMC_RANK_TIMEOUT
// seconds, 20 by default; 0 turns the watch off) is named and the whole
// job ended with MPI_Abort, which mpirun turns into every rank's exit.
// A rank that finishes says goodbye, so ranks ending at different moments
// are not taken for stopped ones.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_PARALLEL_RANKWATCHDOG_H
#define LLMC_RUNTIME_PARALLEL_RANKWATCHDOG_H

namespace llmc::runtime {

/// Starts watching MPI_COMM_WORLD (MPI initialized with
/// MPI_THREAD_MULTIPLE; a world of one rank is not watched).
void startRankWatchdog();
/// Says goodbye and stops the thread; before MPI_Finalize.
void stopRankWatchdog();

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_PARALLEL_RANKWATCHDOG_H
