/*
 * Captures what native code writes to file descriptor 2 while TensorFlow's libraries load.
 *
 * libtensorflow logs two lines from its static initialisers ("All log messages before
 * absl::InitializeLog()…", "oneDNN custom operations are on…"): they run inside dlopen, before
 * any code of the binding, and TensorFlow 2.21 ignores TF_CPP_MIN_LOG_LEVEL for them. Node has no
 * dup2, so this addon swaps stderr for a temporary file around the load and hands back what was
 * written; lib/src/runtime/native/startup-log.ts drops the known start-up lines and prints the rest.
 *
 * start() -> undefined; stop() -> string (everything written to fd 2 since start).
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int saved_fd = -1;
static FILE *capture = NULL;

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value start(napi_env env, napi_callback_info info) {
  (void)info;
  if (capture != NULL) return throw_error(env, "stderr is already being captured");
  fflush(stderr);
  capture = tmpfile();
  if (capture == NULL) return throw_error(env, "cannot create a temporary file to capture stderr");
  saved_fd = dup(2);
  if (saved_fd < 0 || dup2(fileno(capture), 2) < 0) {
    if (saved_fd >= 0) close(saved_fd);
    fclose(capture);
    capture = NULL;
    saved_fd = -1;
    return throw_error(env, "cannot redirect stderr");
  }
  return NULL;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  (void)info;
  if (capture == NULL) return throw_error(env, "stderr is not being captured");
  fflush(stderr);
  dup2(saved_fd, 2);
  close(saved_fd);
  saved_fd = -1;
  off_t size = lseek(fileno(capture), 0, SEEK_END);
  char *text = malloc(size > 0 ? (size_t)size : 1);
  size_t got = 0;
  if (text != NULL && size > 0 && lseek(fileno(capture), 0, SEEK_SET) == 0) {
    ssize_t n;
    while (got < (size_t)size && (n = read(fileno(capture), text + got, (size_t)size - got)) > 0) got += (size_t)n;
  }
  fclose(capture);
  capture = NULL;
  napi_value result;
  napi_create_string_utf8(env, text != NULL ? text : "", got, &result);
  free(text);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "start", fn);
  napi_create_function(env, "stop", NAPI_AUTO_LENGTH, stop, NULL, &fn);
  napi_set_named_property(env, exports, "stop", fn);
  return exports;
}
