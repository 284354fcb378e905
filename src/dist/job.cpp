// See job.h.
#include "dist/job.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <fstream>

#include "dist/agreement.h"

namespace dc::dist {

namespace {

// Two buffers so that a note can be replaced while a signal may read the other one.
constexpr size_t kNoteBytes = 1024;
std::array<std::array<char, kNoteBytes>, 2> g_notes{};
std::atomic<int> g_note_index{0};
std::atomic<bool> g_is_root{false};
std::atomic<bool> g_silent{false};

void write_all(const char* s, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

extern "C" void on_launcher_signal(int) {
  if (g_is_root.load() && !g_silent.load()) {
    const char* note = g_notes[size_t(g_note_index.load())].data();
    write_all(note, std::strlen(note));
  }
  ::_exit(1);
}

uint64_t executable_fingerprint() {
  std::ifstream f("/proc/self/exe", std::ios::binary);
  uint64_t h = 0xcbf29ce484222325ull;
  std::array<char, 1 << 16> buf;
  while (f) {
    f.read(buf.data(), std::streamsize(buf.size()));
    h = fnv1a(buf.data(), size_t(f.gcount()), h);
  }
  return h;
}

}  // namespace

uint64_t fnv1a(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

void check_same_job(const Comm& comm, int argc, char** argv) {
  if (!comm.distributed()) return;
  agree_on_value(comm, executable_fingerprint(), "binaries");
  uint64_t h = fnv1a("", 0);
  for (int i = 1; i < argc; ++i) h = fnv1a(argv[i], std::strlen(argv[i]) + 1, h);  // NUL separates
  agree_on_value(comm, h, "command lines");
}

void silence_termination_notice() {
  g_silent.store(true);
}

void set_termination_note(const std::string& note) {
  const int next = 1 - g_note_index.load();
  std::string line =
      "diffucoder: error: the job was stopped: another rank failed or the launcher was "
      "interrupted";
  if (!note.empty()) line += "; " + note;
  line += "\n";
  if (line.size() >= kNoteBytes) line = line.substr(0, kNoteBytes - 2) + "\n";
  std::memcpy(g_notes[size_t(next)].data(), line.c_str(), line.size() + 1);
  g_note_index.store(next);
}

void note_last_checkpoint(const Comm& comm, const std::string& checkpoint) {
  if (comm.is_root())
    set_termination_note("the last complete checkpoint is " + checkpoint + "; continue with --resume");
}

void install_termination_notice(const Comm& comm) {
  if (!comm.distributed()) return;
  g_is_root.store(comm.is_root());
  set_termination_note("");
  struct sigaction sa {};
  sa.sa_handler = on_launcher_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace dc::dist
