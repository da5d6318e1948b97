//===- MpiCommunicator.h - ranks started by mpirun ------------------------===//
//
// CPU ranks talk through MPI (Debian's OpenMPI): `mpirun -np N llmc-run
// model.llmc ...`. MPI is initialized only in a process a launcher started
// (a single-rank llmc-run never touches it), with errors returned instead
// of aborting inside MPI, so each becomes a Status naming the rank.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_PARALLEL_MPICOMMUNICATOR_H
#define LLMC_RUNTIME_PARALLEL_MPICOMMUNICATOR_H

#include "runtime/parallel/Communicator.h"

namespace llmc::runtime {

/// Whether a launcher (mpirun, srun) started this process as one of
/// several ranks: it sets the world size in the environment.
bool launchedAsRanks();

/// MPI's world: every rank of the job. Initializes MPI on the first call
/// (and finalizes it at exit).
Expected<std::unique_ptr<Communicator>> mpiWorld();

/// The ranks of MPI's world on this rank's node (those that share its
/// memory and its GPUs), ordered as in the world. Every rank must call it,
/// after mpiWorld().
Expected<std::unique_ptr<Communicator>> mpiNode();

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_PARALLEL_MPICOMMUNICATOR_H
