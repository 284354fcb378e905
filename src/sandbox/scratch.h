// Internal: the host scratch directory used when the sandbox has no namespaces (with namespaces the
// scratch directory lives in a private tmpfs that disappears with the sandbox).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dc::sandbox::detail {

// Creates a fresh directory under $TMPDIR (or /tmp), mode 0700, writes `files` into it and, when
// owner >= 0, gives the directory and the files to that uid/gid. Throws dc::Error on failure.
std::string make_host_scratch(const std::vector<std::pair<std::string, std::string>>& files, int owner);

// Removes a directory tree without following symbolic links, whatever the permissions the program left
// (directories are made accessible first) and however deep (one fd at a time, walking back up with
// ".."). Returns false if something could not be removed.
bool remove_tree(const std::string& path);

// Whether the tree under `dir` holds at most `max_bytes` (allocated blocks, so sparse files count what
// they use) in at most `max_entries` files, directories and links, the top directory not counted.
// Symbolic links are not followed; the walk stops as soon as a cap is passed.
bool scratch_within(const std::string& dir, uint64_t max_bytes, uint64_t max_entries);

// A file name the caller may put in the scratch directory: non-empty, no '/', not "." or "..", no NUL.
bool valid_file_name(const std::string& name);

}  // namespace dc::sandbox::detail
