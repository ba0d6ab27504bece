#include "geosr/core/interrupt.hpp"

#include <csignal>
#include <iterator>

namespace geosr {
namespace {

volatile std::sig_atomic_t g_signal = 0;
// Ctrl-C, a kill and a closed terminal (an ssh session dropped) all stop a job the same way.
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kSignals)];

void on_signal(int signal) { g_signal = signal; }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    sigaction(kSignals[i], nullptr, &g_previous[i]);
    // What the job's starter ignores stays ignored: nohup's hangup, the Ctrl-C of a script's
    // background job.
    if (g_previous[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &action, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int InterruptGuard::received() { return g_signal; }

}  // namespace geosr
