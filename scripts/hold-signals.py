#!/usr/bin/env python3
"""Patches tfjs-node's binding source (binding/tfjs_backend.cc) so that it can hold asynchronous
signals off while TensorFlow runs a product. Called by scripts/native-backend.sh before it builds
the binding; it always patches the package's own source (kept beside it as tfjs_backend.cc.orig).

Why: TensorFlow's MatMul (and Eigen's contraction) call oneDNN's legacy sgemm, whose generated
kernels point the stack register into the heap (uxlfoundation/oneDNN#4845, fixed in oneDNN 3.11.2;
TensorFlow 2.21 bundles an older one). A signal handled then, such as a profiler's SIGPROF or a
notebook kernel's SIGINT, writes its frame over the heap and the process aborts later.
  - TensorFlow's context is created with asynchronous signals blocked, so the threads it starts
    inherit the mask and never take one;
  - the thread that loads the binding (Node's main thread, which runs the ops) keeps them blocked,
    except SIGPROF: a process-directed signal (SIGINT, SIGCHLD, ...) goes to one of Node's other
    threads, where libuv's and Node's handlers work as well (free);
  - SIGPROF is thread-directed (V8's sampler sends it to the thread it profiles), so when
    CLASSIFIERS_HOLD_SIGNALS=1 was set before the binding loaded, an op whose name contains MatMul,
    Conv or Einsum runs with it held (two system calls per op; the library sets it only under a
    profiler or inspector, see lib/src/runtime/native.ts).

    python3 scripts/hold-signals.py node_modules/@tensorflow/tfjs-node/binding/tfjs_backend.cc
"""
import os
import re
import sys

path = sys.argv[1]
pristine = path + ".orig"  # the package's own source, kept so that every patch starts from it
if os.path.exists(pristine):
    src = open(pristine).read()
else:
    src = open(path).read()
    if "classifiers: async signals held" in src:
        sys.exit(f"{path} carries an older version of this patch and no {pristine}; reinstall @tensorflow/tfjs-node")
    open(pristine, "w").write(src)
TAG = "classifiers: async signals held v2"

helper = '''
// ''' + TAG + '''. oneDNN's legacy sgemm, behind TensorFlow's MatMul, points the
// stack register into the heap while its generated kernels run (uxlfoundation/oneDNN#4845, fixed in
// oneDNN 3.11.2): a signal handled then writes its frame over the heap. Asynchronous signals (a
// profiler's SIGPROF, a notebook's SIGINT) must not reach a thread running TensorFlow: its threads
// and the thread that loads the binding block them (SIGPROF, which V8 sends to the main thread, is
// held around products on request). See scripts/hold-signals.py.
#include <pthread.h>
#include <cstdlib>
#include <cstring>
#include <signal.h>
namespace {
class AsyncSignalsHeld {
 public:
  AsyncSignalsHeld() {
    sigset_t held;
    sigfillset(&held);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&held, sig);
    pthread_sigmask(SIG_BLOCK, &held, &before_);
  }
  ~AsyncSignalsHeld() { pthread_sigmask(SIG_SETMASK, &before_, nullptr); }
 private:
  sigset_t before_;
};
// For good, on the thread that creates the context: see scripts/hold-signals.py.
void BlockAsyncSignalsButSigprof() {
  sigset_t blocked;
  sigfillset(&blocked);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS, SIGPROF}) sigdelset(&blocked, sig);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
}
bool ReachesSgemm(const char *op_name) {
  return std::strstr(op_name, "MatMul") || std::strstr(op_name, "Conv") || std::strstr(op_name, "Einsum");
}
bool HoldSignalsRequested() {
  static const bool requested = [] {
    const char *value = std::getenv("CLASSIFIERS_HOLD_SIGNALS");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }();
  return requested;
}
}  // namespace
'''
src = src.replace('#include "tfjs_backend.h"\n', '#include "tfjs_backend.h"\n' + helper, 1)
n1 = src.count("  tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n")
src = src.replace("  tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n",
                  "  {\n    AsyncSignalsHeld held;\n    tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n  }\n  BlockAsyncSignalsButSigprof();\n")
n2 = len(re.findall(r"^(\s*)TFE_Execute\(", src, flags=re.M))
# Only products and convolutions reach sgemm; holding signals costs two system calls (~2 µs).
src = re.sub(r"^(\s*)(TFE_Execute\([^;]*;)",
             r"\1{\n\1  std::unique_ptr<AsyncSignalsHeld> held;\n\1  if (HoldSignalsRequested() && ReachesSgemm(op_name.c_str())) held.reset(new AsyncSignalsHeld);\n\1  \2\n\1}", src, flags=re.M)
if n1 != 1 or n2 < 1:
    sys.exit(f"tfjs_backend.cc changed: {n1} TFE_NewContext, {n2} TFE_Execute calls")
open(path, "w").write(src)
print(f"patched {path}: {n2} TFE_Execute call(s)")
