// See comm.h. Built with MPI when CMake found it (DC_HAVE_MPI); otherwise only the one-rank path exists.
#include "dist/comm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "core/thread_pool.h"

#ifdef DC_HAVE_MPI
// The C interface only (the C++ bindings are deprecated and live in another library).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace dc::dist {

namespace {
bool g_joined = false;

#ifdef DC_HAVE_MPI
// Every MPI call returns MPI_SUCCESS or the library aborts the job (MPI_ERRORS_ARE_FATAL, the default
// handler of MPI_COMM_WORLD): a failed collective never returns garbage here.
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw_error("MPI: {} failed (code {})", what, rc);
}
template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}
template <>
MPI_Datatype mpi_type<int64_t>() {
  return MPI_INT64_T;
}
template <>
MPI_Datatype mpi_type<uint64_t>() {
  return MPI_UINT64_T;
}

// Long buffers go in pieces of 16 MiB. (MPI counts are int, and Open MPI's in-place allreduce of one
// huge buffer is slow: 1.98 GB in one call took 16.9 s on 2 ranks of one machine, in 16 MiB pieces 1.7 s;
// bench_allreduce.)
template <class T>
void allreduce(T* data, size_t n, MPI_Op op) {
  constexpr size_t kPiece = (size_t(16) << 20) / sizeof(T);
  for (size_t off = 0; off < n; off += kPiece) {
    const int count = int(std::min(kPiece, n - off));
    check(MPI_Allreduce(MPI_IN_PLACE, data + off, count, mpi_type<T>(), op, MPI_COMM_WORLD), "MPI_Allreduce");
  }
}
#endif

template <class T>
void allreduce_sum_impl(const Comm& c, T* data, size_t n) {
  if (!c.distributed() || n == 0) return;
#ifdef DC_HAVE_MPI
  allreduce(data, n, MPI_SUM);
#endif
}
}  // namespace

Comm& world() {
  static Comm c;
  return c;
}

bool built_with_mpi() {
#ifdef DC_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool started_by_launcher() {
  // Open MPI (mpirun), MPICH / Intel MPI (Hydra's PMI), and PMIx launchers such as Slurm's srun.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (const char* s = std::getenv(v); s != nullptr && *s != '\0') return true;
  return false;
}

void init(int* argc, char*** argv) {
  if (g_joined || !started_by_launcher()) return;
#ifdef DC_HAVE_MPI
  int provided = 0;
  // Only the main thread calls MPI (worker threads compute between collectives).
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  g_joined = true;
  Comm& c = world();
  check(MPI_Comm_rank(MPI_COMM_WORLD, &c.rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &c.size_), "MPI_Comm_size");
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c.rank_, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  check(MPI_Comm_size(local, &c.local_size_), "MPI_Comm_size");
  MPI_Comm_free(&local);
  // The ranks of one machine share its cores: "all cores" (threads 0) means this rank's share of them.
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  set_default_threads(std::max(1, hw / c.local_size_));
#else
  (void)argc;
  (void)argv;
  throw_error(
      "this process was started by an MPI launcher, but this build of diffucoder has no MPI support; install "
      "MPI (scripts/install-deps.sh installs Open MPI) and rebuild");
#endif
}

void finalize() {
#ifdef DC_HAVE_MPI
  if (g_joined) {
    g_joined = false;
    MPI_Finalize();
  }
#endif
}

void Comm::allreduce_sum(float* data, size_t n) const {
  allreduce_sum_impl(*this, data, n);
}
void Comm::allreduce_sum(double* data, size_t n) const {
  allreduce_sum_impl(*this, data, n);
}
void Comm::allreduce_sum(int64_t* data, size_t n) const {
  allreduce_sum_impl(*this, data, n);
}
double Comm::sum(double v) const {
  allreduce_sum(&v, 1);
  return v;
}
int64_t Comm::sum(int64_t v) const {
  allreduce_sum(&v, 1);
  return v;
}

uint64_t Comm::min(uint64_t v) const {
#ifdef DC_HAVE_MPI
  if (distributed()) allreduce(&v, 1, MPI_MIN);
#endif
  return v;
}
uint64_t Comm::max(uint64_t v) const {
#ifdef DC_HAVE_MPI
  if (distributed()) allreduce(&v, 1, MPI_MAX);
#endif
  return v;
}

void Comm::broadcast(std::string& bytes, int root) const {
  if (!distributed()) return;
#ifdef DC_HAVE_MPI
  uint64_t n = bytes.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  if (n > uint64_t(1) << 31) throw_error("MPI: a broadcast of {} bytes is over the 2 GiB limit", n);
  bytes.resize(size_t(n));
  check(MPI_Bcast(bytes.data(), int(n), MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast");
#endif
}

std::vector<std::string> Comm::gather(const std::string& bytes, int root) const {
  if (!distributed()) return {bytes};
  std::vector<std::string> out;
#ifdef DC_HAVE_MPI
  if (bytes.size() > size_t(1) << 30)
    throw_error("MPI: a gather of {} bytes per rank is over 1 GiB", bytes.size());
  const int n = int(bytes.size());
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD), "MPI_Gather");
  std::string all;
  if (rank_ == root) {
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[size_t(r)] = int(total);
      total += counts[size_t(r)];
    }
    if (total > (int64_t(1) << 31) - 1)
      throw_error("MPI: a gather of {} bytes is over the 2 GiB limit", total);
    all.resize(size_t(total));
  }
  check(MPI_Gatherv(bytes.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, root,
                    MPI_COMM_WORLD),
        "MPI_Gatherv");
  if (rank_ == root)
    for (int r = 0; r < size_; ++r)
      out.push_back(all.substr(size_t(displs[size_t(r)]), size_t(counts[size_t(r)])));
#endif
  return out;
}

void Comm::barrier() const {
#ifdef DC_HAVE_MPI
  if (distributed()) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

}  // namespace dc::dist
