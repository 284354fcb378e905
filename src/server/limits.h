// What one server accepts: the bounds a client cannot exceed (each breach is a 4xx error, never a crash
// or an allocation the client sizes).
#pragma once

#include <cstddef>

namespace dc::server {

struct ServerLimits {
  size_t max_body_bytes = size_t(1) << 20;  // request bodies above it: 413
  int max_tokens = 1024;                    // max_tokens above it: 400
  int max_n = 8;                            // choices per request
  int max_stop = 4;                         // stop strings per request (as OpenAI)
  size_t max_stop_bytes = 64;               // bytes of each stop string
  int max_queue = 32;                       // requests waiting or running; one more: 429
  int max_batch_rows = 8;                   // rows decoded together (1: no batching)
  double max_seconds = 300;                 // wall time of a request from its arrival; then 504
  int read_timeout_seconds = 10;            // a client that sends its request slower than this is dropped
};

}  // namespace dc::server
