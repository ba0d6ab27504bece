#pragma once
// SIGINT / SIGTERM / SIGHUP during a long job: instead of dying mid-write, the job is told, saves
// its checkpoint and exits with 128 + the signal number, as a shell expects of an interrupted
// program. A signal ignored when the job started (nohup) stays ignored.

namespace geosr {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // restores the previous ones
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal received since construction, or 0.
  static int received();
};

// Thrown at the next safe point after a signal.
struct Interrupted {
  int signal;
};

}  // namespace geosr
