// The processes of one data-parallel job (docs/SCALING.md). A process started by an MPI launcher
// (`mpirun -np N diffucoder ...`) joins MPI_COMM_WORLD as one of N ranks; any other process is rank 0 of
// 1 and every collective is a copy, so the same binary without `mpirun` behaves exactly as before.
//
// Rules of use, as MPI's: every rank calls the same collectives in the same order. A rank that fails
// mid-run does not leave the others waiting: it prints its error and exits non-zero, the launcher then
// ends the other ranks, and rank 0 says so in one line (termination.h). Failures that every rank would
// meet alike (flags, files, resume state) are agreed on first (agreement.h) so that only rank 0 prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dc::dist {

class Comm {
 public:
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }
  // Ranks that share this machine (they share its cores: the default thread count is divided by it).
  int local_size() const { return local_size_; }

  // In place: every rank ends with the element-wise sum over ranks. The sum's order is the MPI library's;
  // every rank receives the same bytes (the reduced value is computed once and distributed).
  void allreduce_sum(float* data, size_t n) const;
  void allreduce_sum(double* data, size_t n) const;
  void allreduce_sum(int64_t* data, size_t n) const;
  double sum(double v) const;
  int64_t sum(int64_t v) const;
  uint64_t min(uint64_t v) const;
  uint64_t max(uint64_t v) const;
  // Root's bytes on every rank.
  void broadcast(std::string& bytes, int root = 0) const;
  // On the root: every rank's bytes in rank order; elsewhere: empty.
  std::vector<std::string> gather(const std::string& bytes, int root = 0) const;
  void barrier() const;

 private:
  friend Comm& world();
  friend void init(int* argc, char*** argv);
  friend void finalize();
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

// This job's ranks (rank 0 of 1 before init(), or when not started by an MPI launcher).
Comm& world();

// Joins the job when an MPI launcher started this process (its environment says so), and divides the
// default thread count among the ranks of this machine. Throws dc::Error when the launcher started it
// but this build has no MPI. Call once, first thing in main().
void init(int* argc, char*** argv);
// Leaves the job (MPI_Finalize) after a normal end; harmless when init() did not join one.
void finalize();
// True when the environment shows an MPI launcher started this process.
bool started_by_launcher();
// Whether this build can join a job (MPI was found at build time).
bool built_with_mpi();

}  // namespace dc::dist
