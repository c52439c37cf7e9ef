#!/usr/bin/env python3
"""Patches tfjs-node's binding source (binding/tfjs_backend.cc) before scripts/native-backend.sh
builds it. It always patches the package's own source (kept beside it as tfjs_backend.cc.orig).
Three changes, each marked in the source by a tag:

1. Products are shielded from asynchronous signals. TensorFlow's MatMul (and Eigen's contraction)
   call oneDNN's legacy sgemm, whose generated kernels point the stack register into the heap
   (uxlfoundation/oneDNN#4845, fixed in oneDNN 3.11.2; TensorFlow 2.21 bundles an older one). A
   signal handled then, such as a profiler's SIGPROF or a notebook kernel's SIGINT, writes its frame
   over the heap and the process aborts later.
   - TensorFlow's context is created with asynchronous signals blocked, so the threads it starts
     inherit the mask and never take one;
   - the thread that loads the binding (Node's main thread, which runs the ops) keeps them blocked,
     except SIGPROF: a process-directed signal (SIGINT, SIGCHLD, ...) goes to one of Node's other
     threads, where libuv's and Node's handlers work as well (free);
   - SIGPROF is thread-directed (V8's sampler sends it to the thread it profiles), so when
     CLASSIFIERS_HOLD_SIGNALS=1 was set before the binding loaded, an op whose name contains MatMul,
     Conv or Einsum runs with it held (two system calls per op; the library sets it only under a
     profiler or inspector, see lib/src/runtime/native/signals.ts).

2. Small ops run on the calling thread alone. TensorFlow splits an element-wise op, a concat or an
   optimiser update over its intra-op thread pool from a few tens of thousands of elements on (Eigen's
   cost model); on a 2-vCPU machine, handing half to a sleeping pool thread and waiting for it costs
   more than the op itself up to about half a million elements (bench/op-threads.ts measures it; the
   docs/backends.md, "Threads", has the numbers). So an op whose inputs hold fewer elements than
   CLASSIFIERS_SMALL_OP_ELEMENTS (which the library always sets: DEFAULT_SMALL_OP_ELEMENTS in
   lib/src/runtime/env.ts; 0 turns this off), counting a broadcast's output
   too, runs with TensorFlow's per-thread parallelism set to 1 (tensorflow::SetPerThreadMaxParallelism,
   which Eigen devices and work sharding both honour). Products, convolutions and ops whose output
   size comes from their values (Fill, Tile, Pad, OneHot, Range, random ops, resizes) and pooling are left alone:
   their work does not follow their inputs' size. `_FusedMatMul` (see 3.) always runs alone: the
   library sends it only for small products.

3. String-list attributes. tfjs-node sets an attribute of type string from a JavaScript string only;
   TensorFlow's `_FusedMatMul` (a product with its bias and activation in one kernel) takes the ops
   to fuse as a list of strings. With this, lib/src/runtime/native/fused-affine.ts runs tf.fused.matMul as that
   one kernel instead of three (product, bias, ReLU).

    python3 scripts/patch-binding.py node_modules/@tensorflow/tfjs-node/binding/tfjs_backend.cc
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
    if "classifiers: async signals held" in src or "classifiers: small ops" in src:
        sys.exit(f"{path} carries an older version of this patch and no {pristine}; reinstall @tensorflow/tfjs-node")
    open(pristine, "w").write(src)
SIGNALS_TAG = "classifiers: async signals held v2"
SMALL_OPS_TAG = "classifiers: small ops on the calling thread v1"
STRING_LIST_TAG = "classifiers: string-list attributes v1"

small_ops_helper = '''
// ''' + SMALL_OPS_TAG + '''. TensorFlow splits ops over its intra-op pool from a few tens of
// thousands of elements on; on small machines waking a pool thread costs more than such an op. See
// scripts/patch-binding.py.
#include <dlfcn.h>
#include <algorithm>
#include <cstdint>
#include <vector>
namespace {
// tensorflow::{Set,Get}PerThreadMaxParallelism, looked up in the already loaded framework library
// (absent there: the patch does nothing).
struct PerThreadParallelism {
  void (*set)(int) = nullptr;
  int (*get)() = nullptr;
};
const PerThreadParallelism &Parallelism() {
  static const PerThreadParallelism found = [] {
    PerThreadParallelism p;
    void *framework = dlopen("libtensorflow_framework.so.2", RTLD_LAZY | RTLD_NOLOAD);
    if (framework == nullptr) return p;
    p.set = reinterpret_cast<void (*)(int)>(dlsym(framework, "_ZN10tensorflow26SetPerThreadMaxParallelismEi"));
    p.get = reinterpret_cast<int (*)()>(dlsym(framework, "_ZN10tensorflow26GetPerThreadMaxParallelismEv"));
    if (p.set == nullptr || p.get == nullptr) p = PerThreadParallelism();
    return p;
  }();
  return found;
}
// CLASSIFIERS_SMALL_OP_ELEMENTS, read once. The library sets it before loading the binding (its
// default is DEFAULT_SMALL_OP_ELEMENTS in lib/src/runtime/env.ts, the one place it is written);
// unset, as for a program that loads tfjs-node itself, TensorFlow splits ops as it decides.
int64_t SmallOpElements() {
  static const int64_t limit = [] {
    const int64_t fallback = 0;
    const char *value = std::getenv("CLASSIFIERS_SMALL_OP_ELEMENTS");
    if (value == nullptr || *value == '\\0') return fallback;
    char *end = nullptr;
    const long long n = std::strtoll(value, &end, 10);
    return *end == '\\0' && n >= 0 ? static_cast<int64_t>(n) : fallback;
  }();
  return limit;
}
bool SmallOpsAlone() { return SmallOpElements() > 0 && Parallelism().set != nullptr; }
// Work that does not follow the inputs' size: products, convolutions, pooling (a window per output,
// and its gradient; a CNN's second pooling gradient took 1.9 -> 1.6 ms per step with threads),
// outputs sized by values.
bool WorkOutgrowsInputs(const char *op_name) {
  if (ReachesSgemm(op_name)) return true;  // products and convolutions
  for (const char *part : {"Pool", "Fill", "Tile", "BroadcastTo", "OneHot", "Pad", "Range", "Random", "TruncatedNormal",
                           "Multinomial", "Resize"}) {
    if (std::strstr(op_name, part)) return true;
  }
  return false;
}
// _FusedMatMul: only the library sends it (tfjs-node never does), and only for products of at most
// a few million multiply-adds, where TensorFlow's Eigen contraction splitting over the pool costs
// more than the product (lib/src/runtime/native/fused-affine.ts, FUSED_AFFINE_MAX_MACS).
bool SentSmall(const char *op_name) { return std::strcmp(op_name, "_FusedMatMul") == 0; }
// The elements an op's inputs hold, and the size their shapes broadcast to.
class InputElements {
 public:
  void Add(TFE_TensorHandle *handle) {
    // one status per thread, made once: this runs for most ops
    thread_local TF_Status *const status = TF_NewStatus();
    const int rank = TFE_TensorHandleNumDims(handle, status);
    if (TF_GetCode(status) != TF_OK) { unknown_ = true; return; }
    if (broadcast_.size() < static_cast<size_t>(rank)) broadcast_.resize(rank, 1);
    int64_t elements = 1;
    for (int i = 0; i < rank; i++) {
      const int64_t dim = TFE_TensorHandleDim(handle, rank - 1 - i, status);
      if (TF_GetCode(status) != TF_OK) { unknown_ = true; return; }
      elements *= dim;
      broadcast_[i] = std::max(broadcast_[i], dim);
    }
    total_ += elements;
  }
  bool Below(int64_t limit) const {
    if (unknown_ || total_ >= limit) return false;
    int64_t broadcast = 1;
    for (int64_t dim : broadcast_) {
      broadcast *= dim;
      if (broadcast >= limit) return false;
    }
    return true;
  }
 private:
  std::vector<int64_t> broadcast_;
  int64_t total_ = 0;
  bool unknown_ = false;
};
}  // namespace
'''

helper = '''
// ''' + SIGNALS_TAG + '''. oneDNN's legacy sgemm, behind TensorFlow's MatMul, points the
// stack register into the heap while its generated kernels run (uxlfoundation/oneDNN#4845, fixed in
// oneDNN 3.11.2): a signal handled then writes its frame over the heap. Asynchronous signals (a
// profiler's SIGPROF, a notebook's SIGINT) must not reach a thread running TensorFlow: its threads
// and the thread that loads the binding block them (SIGPROF, which V8 sends to the main thread, is
// held around products on request). See scripts/patch-binding.py.
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
// For good, on the thread that creates the context: see scripts/patch-binding.py.
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
''' + small_ops_helper
src = src.replace('#include "tfjs_backend.h"\n', '#include "tfjs_backend.h"\n' + helper, 1)
n1 = src.count("  tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n")
src = src.replace("  tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n",
                  "  {\n    AsyncSignalsHeld held;\n    tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n  }\n  BlockAsyncSignalsButSigprof();\n")
n2 = len(re.findall(r"^(\s*)TFE_Execute\(", src, flags=re.M))
# Only products and convolutions reach sgemm; holding signals costs two system calls (~2 µs).
# Small ops: per-thread parallelism 1 around the call (a thread-local integer, set and restored).
src = re.sub(r"^(\s*)(TFE_Execute\([^;]*;)",
             r"\1{\n"
             r"\1  std::unique_ptr<AsyncSignalsHeld> held;\n"
             r"\1  if (HoldSignalsRequested() && ReachesSgemm(op_name.c_str())) held.reset(new AsyncSignalsHeld);\n"
             r"\1  const bool alone = sent_small || (measure_inputs && input_elements.Below(SmallOpElements()));\n"
             r"\1  const int parallelism_before = alone ? Parallelism().get() : 0;\n"
             r"\1  if (alone) Parallelism().set(1);\n"
             r"\1  \2\n"
             r"\1  if (alone) Parallelism().set(parallelism_before);\n"
             r"\1}", src, flags=re.M)
add_input = "    TFE_OpAddInput(tfe_op.op, input_tensor_entry->second, tf_status.status);\n"
n3 = src.count(add_input)
src = src.replace(add_input, add_input + "    if (measure_inputs) input_elements.Add(input_tensor_entry->second);\n")
new_op = "  TFE_AutoOp tfe_op(TFE_NewOp(tfe_context_, op_name.c_str(), tf_status.status));\n"
n4 = src.count(new_op)
# Small ops: decided by the op's name first; the inputs' shapes are read only where they decide.
src = src.replace(new_op, new_op +
                  "  const bool sent_small = SmallOpsAlone() && SentSmall(op_name.c_str());\n"
                  "  const bool measure_inputs = SmallOpsAlone() && !sent_small && !WorkOutgrowsInputs(op_name.c_str());\n"
                  "  InputElements input_elements;\n")
string_attr = """    case TF_ATTR_STRING: {
      // NOTE: String attribute values do not have to be utf8 encoded strings
"""
n5 = src.count(string_attr)
src = src.replace(string_attr, """    case TF_ATTR_STRING: {
      if (IsArray(env, nstatus, &js_value)) {  // """ + STRING_LIST_TAG + """: see scripts/patch-binding.py
        uint32_t length;
        nstatus = napi_get_array_length(env, js_value, &length);
        ENSURE_NAPI_OK(env, nstatus);
        std::vector<std::string> strings(length);
        std::vector<const void *> values(length);
        std::vector<size_t> lengths(length);
        for (uint32_t i = 0; i < length; ++i) {
          napi_value element;
          nstatus = napi_get_element(env, js_value, i, &element);
          ENSURE_NAPI_OK(env, nstatus);
          nstatus = GetStringParam(env, element, strings[i]);
          ENSURE_NAPI_OK(env, nstatus);
          values[i] = strings[i].data();
          lengths[i] = strings[i].size();
        }
        TFE_OpSetAttrStringList(tfe_op, attr_name, values.data(), lengths.data(), static_cast<int>(length));
        break;
      }
""" + string_attr.split("\n", 1)[1])
if n1 != 1 or n2 != 1 or n3 != 1 or n4 != 1 or n5 != 1:
    sys.exit(f"tfjs_backend.cc changed: {n1} TFE_NewContext, {n2} TFE_Execute, {n3} TFE_OpAddInput, {n4} TFE_NewOp calls, {n5} string attribute cases")
open(path, "w").write(src)
print(f"patched {path}: signals held around products, small ops on the calling thread, string-list attributes")
