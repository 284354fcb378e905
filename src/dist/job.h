// Set-up of a distributed run, done once in main() right after dist::init():
//  * every rank must run the same binary with the same command line (compared by hash; a mismatch is one
//    line on rank 0 and exit 1 on every rank, before any work);
//  * a rank that the launcher ends (SIGTERM / SIGINT: another rank failed or died, or the user pressed
//    Ctrl-C on mpirun) exits at once; rank 0 first prints one line saying why and what survives.
#pragma once

#include <string>

#include "dist/comm.h"

namespace dc::dist {

// Collective. Throws AgreedError on a mismatch.
void check_same_job(const Comm& comm, int argc, char** argv);

// Installs the handlers (only in a distributed job).
void install_termination_notice(const Comm& comm);

// From now on the handlers exit without a word: this rank is ending on an error it reports itself (the
// launcher may stop it while it leaves MPI, and a second line would only repeat the first).
void silence_termination_notice();

// What rank 0 adds to that line, e.g. "the last complete checkpoint is out/checkpoint-40; continue with
// --resume". Call from the main thread between steps.
void set_termination_note(const std::string& note);

// The note of a run that checkpoints (train, sft, grpo): "the last complete checkpoint is <path>; continue
// with --resume". Rank 0 only; other ranks ignore it.
void note_last_checkpoint(const Comm& comm, const std::string& checkpoint);

// 64-bit FNV-1a of bytes, chained from `h` (fingerprints of files and command lines).
uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ull);

}  // namespace dc::dist
