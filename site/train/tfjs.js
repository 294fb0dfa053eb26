// The part of TensorFlow.js the in-browser trainer uses (train.js), bundled
// with esbuild at build time into _static/tfjs/tf.min.js as the global
// `tf` (cnnbook/authoring/site.py): operations, their gradients, and the
// CPU and WebGL backends. Nothing is loaded from a CDN.
export * from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
