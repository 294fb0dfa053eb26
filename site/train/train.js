/*
 * Train a small ConvNet on MNIST in the reader's browser, with
 * TensorFlow.js (served by this site, see cnnbook/authoring/site.py).
 *
 * The page (book/train_in_browser.md) holds the elements this script
 * fills: a loss curve, the test accuracy, the first layer's filters and a
 * few predictions, all updated while the network learns. The data file is
 * written at build time from cnnbook.data.load_mnist() (stratified
 * subsets; layout in cnnbook.authoring.site.write_training_data).
 *
 * window.cnnbookTrainer.start({steps, evalEvery, backend}) returns a
 * promise of the history ({loss: [...], evals: [{step, accuracy}],
 * backend}); the browser test (tests/site/) calls it with a bounded number
 * of steps.
 */
(function () {
  "use strict";

  const SCRIPT_URL = document.currentScript
    ? document.currentScript.src
    : window.location.href;
  const DATA_URL = new URL("mnist-subset.bin", SCRIPT_URL).href;
  const DEFAULTS = { steps: 300, batchSize: 32, evalEvery: 25,
                     learningRate: 0.01, seed: 42, backend: null };
  const N_SHOWN = 10;
  // The network: a convolutional layer of 8 filters of 5 x 5 with ReLU,
  // 2 x 2 max pooling, and a dense softmax layer with one unit per digit.
  const K = 5, FILTERS = 8;
  const $ = (id) => document.getElementById(id);

  // A small seeded generator (mulberry32): the same batches every run.
  function generator(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  async function loadData() {
    let response;
    try {
      response = await fetch(DATA_URL);
    } catch (error) {
      throw new Error(
        "could not read the training data (" + error.message + "). " +
        "Browsers do not let a page opened from disk read files: serve " +
        "the site, e.g. `python -m http.server -d _build/html`.");
    }
    if (!response.ok) {
      throw new Error("could not read the training data: HTTP " +
                      response.status + " for " + DATA_URL);
    }
    const buffer = await response.arrayBuffer();
    const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 4));
    const header = new DataView(buffer, 4, 20);
    const [version, nTrain, nTest, height, width] = [0, 1, 2, 3, 4].map(
      (i) => header.getUint32(4 * i, true));
    if (magic !== "CNNB" || version !== 1) {
      throw new Error("the training data file has an unknown format");
    }
    const size = height * width;
    let offset = 24;
    const take = (n) => {
      const part = new Uint8Array(buffer, offset, n);
      offset += n;
      return part;
    };
    const data = {
      height, width, nTrain, nTest,
      xTrain: take(nTrain * size), yTrain: take(nTrain),
      xTest: take(nTest * size), yTest: take(nTest),
    };
    if (offset !== buffer.byteLength) {
      throw new Error("the training data file has the wrong size");
    }
    return data;
  }

  // The convolution is computed as one matrix product (im2col):
  // each row of `patches` is one 5 x 5 window of an image (cut out in
  // plain JavaScript by batchTensors), each column of w1 one filter.
  // TensorFlow.js's own conv2d trains far more slowly on a processor.
  function buildModel(data, options) {
    const out = data.height - K + 1;
    const pooled = Math.floor(out / 2);
    const inputs = pooled * pooled * FILTERS;
    const normal = (shape, std, offset) => tf.variable(
      tf.randomNormal(shape, 0, std, "float32", options.seed + offset));
    const model = {
      out,
      w1: normal([K * K, FILTERS], Math.sqrt(2 / (K * K)), 0),
      b1: tf.variable(tf.zeros([FILTERS])),
      w2: normal([inputs, 10], Math.sqrt(1 / inputs), 1),
      b2: tf.variable(tf.zeros([10])),
      optimizer: tf.train.adam(options.learningRate),
    };
    model.logits = (patches, n) => tf.tidy(() => {
      const maps = tf.relu(tf.add(
        tf.reshape(tf.matMul(patches, model.w1), [n, out, out, FILTERS]),
        model.b1));
      const pool = tf.maxPool(maps, 2, 2, "valid");
      return tf.add(tf.matMul(tf.reshape(pool, [n, inputs]), model.w2),
                    model.b2);
    });
    model.filters = () => model.w1.arraySync();  // [K * K][FILTERS]
    model.dispose = () => {
      tf.dispose([model.w1, model.b1, model.w2, model.b2]);
      model.optimizer.dispose();
    };
    return model;
  }

  // The 5 x 5 windows of the images `indices`, one row per window, and
  // the one-hot labels.
  function batchTensors(data, indices, images, labels, out) {
    const { height, width } = data;
    const size = height * width;
    const rows = indices.length * out * out;
    const patches = new Float32Array(rows * K * K);
    const y = new Float32Array(indices.length * 10);
    let k = 0;
    indices.forEach((index, n) => {
      const base = index * size;
      for (let r = 0; r < out; r++) {
        for (let c = 0; c < out; c++) {
          for (let i = 0; i < K; i++) {
            const start = base + (r + i) * width + c;
            for (let j = 0; j < K; j++) {
              patches[k++] = images[start + j] / 255;
            }
          }
        }
      }
      y[n * 10 + labels[index]] = 1;
    });
    return [tf.tensor2d(patches, [rows, K * K]),
            tf.tensor2d(y, [indices.length, 10])];
  }

  // --- Drawing -------------------------------------------------------------

  function drawLoss(canvas, losses, steps) {
    const context = canvas.getContext("2d");
    const { width, height } = canvas;
    const pad = { left: 44, right: 10, top: 10, bottom: 28 };
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    const top = Math.max(2.5, ...losses);
    const x = (i) => pad.left + (i / Math.max(steps, 1)) *
      (width - pad.left - pad.right);
    const y = (v) => pad.top + (1 - v / top) *
      (height - pad.top - pad.bottom);
    context.strokeStyle = "#555555";
    context.fillStyle = "#222222";
    context.font = "12px sans-serif";
    context.beginPath();
    context.moveTo(pad.left, pad.top);
    context.lineTo(pad.left, height - pad.bottom);
    context.lineTo(width - pad.right, height - pad.bottom);
    context.stroke();
    context.fillText(top.toFixed(1), 4, pad.top + 10);
    context.fillText("0", 30, height - pad.bottom);
    context.fillText("step " + steps, width - pad.right - 60, height - 8);
    context.fillText("loss", 4, height / 2);
    context.strokeStyle = "#1f4e99";
    context.lineWidth = 1.5;
    context.beginPath();
    losses.forEach((v, i) => {
      if (i === 0) context.moveTo(x(i), y(v));
      else context.lineTo(x(i), y(v));
    });
    context.stroke();
  }

  function drawGrey(canvas, values, rows, cols) {
    const context = canvas.getContext("2d");
    const image = context.createImageData(cols, rows);
    let low = Infinity, high = -Infinity;
    values.forEach((v) => { low = Math.min(low, v); high = Math.max(high, v); });
    const span = high - low || 1;
    values.forEach((v, i) => {
      const g = Math.round(255 * (v - low) / span);
      image.data.set([g, g, g, 255], 4 * i);
    });
    const small = document.createElement("canvas");
    small.width = cols;
    small.height = rows;
    small.getContext("2d").putImageData(image, 0, 0);
    context.imageSmoothingEnabled = false;
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  function drawFilters(container, model) {
    const values = model.filters();
    const canvases = container.querySelectorAll("canvas");
    for (let f = 0; f < FILTERS; f++) {
      drawGrey(canvases[f], values.map((row) => row[f]), K, K);
    }
  }

  function drawPredictions(container, data, predicted) {
    const size = data.height * data.width;
    container.querySelectorAll("figure").forEach((figure, i) => {
      const pixels = Array.from(data.xTest.subarray(i * size, (i + 1) * size));
      drawGrey(figure.querySelector("canvas"), pixels, data.height,
               data.width);
      const truth = data.yTest[i];
      const guess = predicted ? predicted[i] : null;
      const caption = figure.querySelector("figcaption");
      if (guess === null) {
        caption.textContent = "true " + truth;
      } else {
        const right = guess === truth;
        caption.textContent = (right ? "✓ " : "✗ ") + guess +
          (right ? "" : " (true " + truth + ")");
        figure.classList.toggle("wrong", !right);
      }
    });
  }

  function makeCells(container, count, tag, size) {
    container.textContent = "";
    for (let i = 0; i < count; i++) {
      const canvas = document.createElement("canvas");
      canvas.width = size;
      canvas.height = size;
      if (tag === "figure") {
        const figure = document.createElement("figure");
        figure.appendChild(canvas);
        figure.appendChild(document.createElement("figcaption"));
        container.appendChild(figure);
      } else {
        container.appendChild(canvas);
      }
    }
  }

  // --- Training --------------------------------------------------------------

  function evaluate(model, data) {
    const predicted = [];
    for (let start = 0; start < data.nTest; start += 100) {
      const indices = [];
      for (let i = start; i < Math.min(start + 100, data.nTest); i++) {
        indices.push(i);
      }
      const [x, y] = batchTensors(data, indices, data.xTest, data.yTest,
                                  model.out);
      const logits = model.logits(x, indices.length);
      const best = tf.argMax(logits, -1);
      predicted.push(...best.dataSync());
      tf.dispose([x, y, logits, best]);
    }
    let right = 0;
    predicted.forEach((p, i) => { if (p === data.yTest[i]) right += 1; });
    return { accuracy: right / data.nTest,
             predicted: predicted.slice(0, N_SHOWN) };
  }

  // The graphics card through WebGL when there is one; the processor when
  // WebGL is missing or only emulated in software (slower than the CPU
  // backend).
  function softwareWebGL() {
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      if (!gl) return true;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const renderer = info
        ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL)
        : gl.getParameter(gl.RENDERER);
      return /swiftshader|llvmpipe|software/i.test(String(renderer));
    } catch (error) {
      return true;
    }
  }

  async function chooseBackend(wanted) {
    const backend = wanted || (softwareWebGL() ? "cpu" : "webgl");
    if (!(await tf.setBackend(backend))) await tf.setBackend("cpu");
    await tf.ready();
  }

  const trainer = {
    history: null,
    running: false,
    stopRequested: false,

    async start(userOptions) {
      if (trainer.running) return trainer.history;
      const options = Object.assign({}, DEFAULTS, userOptions || {});
      const status = $("cnnbook-train-status");
      const say = (text) => { status.textContent = text; };
      trainer.running = true;
      trainer.stopRequested = false;
      $("cnnbook-train-start").disabled = true;
      $("cnnbook-train-stop").disabled = false;
      let model = null;
      try {
        say("Loading TensorFlow.js and the data...");
        await chooseBackend(options.backend);
        const data = await loadData();
        model = buildModel(data, options);
        const random = generator(options.seed);
        const history = { loss: [], evals: [], backend: tf.getBackend(),
                          nTrain: data.nTrain, nTest: data.nTest };
        trainer.history = history;
        $("cnnbook-train-size").textContent =
          data.nTrain.toLocaleString("en") + " training and " +
          data.nTest.toLocaleString("en") + " test digits";
        makeCells($("cnnbook-filters"), FILTERS, "canvas", 50);
        makeCells($("cnnbook-predictions"), N_SHOWN, "figure", 56);
        drawPredictions($("cnnbook-predictions"), data, null);
        let order = [];
        for (let step = 1; step <= options.steps; step++) {
          if (trainer.stopRequested) break;
          if (order.length < options.batchSize) {
            const epoch = Array.from({ length: data.nTrain }, (_, i) => i);
            for (let i = epoch.length - 1; i > 0; i--) {
              const j = Math.floor(random() * (i + 1));
              [epoch[i], epoch[j]] = [epoch[j], epoch[i]];
            }
            order = order.concat(epoch);
          }
          const indices = order.splice(0, options.batchSize);
          const [x, y] = batchTensors(data, indices, data.xTrain,
                                      data.yTrain, model.out);
          const cost = model.optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(
              y, model.logits(x, indices.length)),
            true);
          const loss = (await cost.data())[0];
          tf.dispose([x, y, cost]);
          history.loss.push(loss);
          if (step % options.evalEvery === 0 || step === options.steps) {
            const { accuracy, predicted } = evaluate(model, data);
            history.evals.push({ step, accuracy });
            $("cnnbook-accuracy").textContent =
              (100 * accuracy).toFixed(1) + "% after " + step + " steps";
            drawFilters($("cnnbook-filters"), model);
            drawPredictions($("cnnbook-predictions"), data, predicted);
          }
          if (step % 5 === 0 || step === options.steps) {
            drawLoss($("cnnbook-loss"), history.loss, options.steps);
            const recent = history.loss.slice(-5);
            const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
            $("cnnbook-loss").setAttribute("aria-label",
              "Training loss per step: " + history.loss[0].toFixed(2) +
              " at step 1, " + mean.toFixed(2) + " (mean of the last " +
              "five) at step " + step + ".");
            say("Training on " + history.backend + ": step " + step +
                " of " + options.steps + ".");
            await tf.nextFrame();
          }
        }
        say((trainer.stopRequested ? "Stopped" : "Done") + " after " +
            history.loss.length + " steps, on " + history.backend + ".");
        return history;
      } catch (error) {
        say("Training failed: " + error.message);
        throw error;
      } finally {
        if (model) model.dispose();
        trainer.running = false;
        $("cnnbook-train-start").disabled = false;
        $("cnnbook-train-stop").disabled = true;
      }
    },

    stop() { trainer.stopRequested = true; },
  };

  window.cnnbookTrainer = trainer;
  function wire() {
    if (!$("cnnbook-trainer")) return;
    $("cnnbook-train-start").addEventListener("click", () => {
      trainer.start().catch(() => {});
    });
    $("cnnbook-train-stop").addEventListener("click", trainer.stop);
    $("cnnbook-train-stop").disabled = true;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
