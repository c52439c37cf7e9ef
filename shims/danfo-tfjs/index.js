// danfojs-node@1.2.0 does `require("@tensorflow/tfjs-node")` and only uses tfjs-core ops
// (tensor, add, mean, ...). Re-export the project's own tfjs-core so there is one engine
// and one kernel registry; register the cpu backend so danfo works even before the
// project's backend module has picked wasm or tensorflow.
require("@tensorflow/tfjs-backend-cpu");
module.exports = require("@tensorflow/tfjs-core");
