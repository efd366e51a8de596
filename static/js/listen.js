// "Listen" on a live call: any button with data-listen="<call id>" opens /listen/<id>/ (a WebSocket carrying
// μ-law slices of both sides, see voice/listening.py) and plays it through an AudioWorklet (listen_worklet.js):
// caller on the left, agent on the right. One call at a time; the bar at the bottom shows both sides' levels.
// window.parleyListen holds {callId, played, peakCaller, peakAgent, maxCaller, maxAgent, behindMs, state} for tests.
(function () {
  "use strict";
  var workletUrl = document.currentScript.dataset.worklet;
  var state = { callId: null, played: 0, buffered: 0, behindMs: 0, peakCaller: 0, peakAgent: 0, maxCaller: 0, maxAgent: 0, state: "idle" };
  window.parleyListen = state;
  var ctx = null, node = null, socket = null, bar = null;

  var ULAW = new Float32Array(256);
  for (var i = 0; i < 256; i++) {
    var u = ~i & 0xff, t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    ULAW[i] = ((u & 0x80) ? (0x84 - t) : (t - 0x84)) / 32768;
  }

  function decode(bytes, from, n) {
    var out = new Float32Array(n);
    for (var k = 0; k < n; k++) { out[k] = ULAW[bytes[from + k]]; }
    return out;
  }

  function meter(level) { return "▮".repeat(Math.min(10, Math.round(level * 20))) || "·"; }

  function levelsText() {
    var behind = state.behindMs ? "  ≈ " + state.behindMs + " ms behind" : "";
    return "Caller " + meter(state.peakCaller) + "  Agent " + meter(state.peakAgent) + behind;
  }

  function render() {
    if (!bar) {
      bar = document.createElement("div");
      bar.id = "listen-bar";
      bar.setAttribute("role", "status");
      bar.style.cssText = "position:fixed;left:0;right:0;bottom:0;background:#1f2937;color:#fff;padding:.6rem 1.2rem;" +
        "display:flex;gap:1.2rem;align-items:center;z-index:50;font-size:.9rem";
      document.body.appendChild(bar);
    }
    var text = state.state === "listening"
      ? "Listening to call #" + state.callId + " (the call does not know)"
      : state.state === "connecting" ? "Connecting to call #" + state.callId + "…"
      : "Stopped listening to call #" + state.callId + (state.reason ? ": " + state.reason : "");
    bar.innerHTML = "";
    var label = document.createElement("span"); label.id = "listen-state"; label.textContent = text;
    var levels = document.createElement("span");
    levels.id = "listen-levels";
    levels.textContent = levelsText();
    bar.appendChild(label); bar.appendChild(levels);
    if (state.state !== "stopped") {
      var stop = document.createElement("button");
      stop.type = "button"; stop.className = "secondary small"; stop.id = "listen-stop"; stop.textContent = "Stop";
      stop.addEventListener("click", function () { stopListening("stopped by you"); });
      bar.appendChild(stop);
    }
    document.querySelectorAll("[data-listen]").forEach(function (b) {
      var on = String(state.callId) === b.dataset.listen && state.state !== "stopped";
      b.textContent = on ? "Listening…" : "Listen";
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function stopListening(reason) {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    if (ctx) { ctx.close(); ctx = null; node = null; }
    state.state = "stopped";
    state.reason = reason;
    render();
  }

  async function listen(callId) {
    if (socket) { stopListening(""); }
    state.callId = callId; state.state = "connecting"; state.played = 0; state.maxCaller = 0; state.maxAgent = 0;
    state.peakCaller = 0; state.peakAgent = 0; state.behindMs = 0; state.maxBehindMs = 0; state.buffered = 0;
    render();
    ctx = new AudioContext({ sampleRate: 8000 });
    await ctx.audioWorklet.addModule(workletUrl);
    node = new AudioWorkletNode(ctx, "parley-listen", { outputChannelCount: [2] });
    node.connect(ctx.destination);
    node.port.onmessage = function (e) {
      state.played = e.data.played;
      // meters fall back slowly (a syllable stays visible for a moment)
      state.peakCaller = Math.max(e.data.peakCaller, state.peakCaller * 0.7);
      state.peakAgent = Math.max(e.data.peakAgent, state.peakAgent * 0.7);
      state.maxCaller = Math.max(state.maxCaller, e.data.peakCaller);
      state.maxAgent = Math.max(state.maxAgent, e.data.peakAgent);
      state.buffered = e.data.buffered;
      var levels = document.getElementById("listen-levels");
      if (levels) { levels.textContent = levelsText(); }
    };
    await ctx.resume();
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/listen/" + callId + "/");
    socket.binaryType = "arraybuffer";
    socket.onopen = function () { state.state = "listening"; render(); };
    socket.onmessage = function (e) {
      var sentAt = new DataView(e.data).getFloat64(0, false);
      var bytes = new Uint8Array(e.data, 8), half = bytes.length / 2;
      var caller = decode(bytes, 0, half), agent = decode(bytes, half, half);
      // how far behind the call this slice's last sample will play: its age now plus the audio queued before it
      var queuedMs = (state.buffered + half) / 8;
      var age = Date.now() - sentAt;
      state.behindMs = Math.round((age >= 0 && age < 10000 ? age : 0) + queuedMs);
      state.maxBehindMs = Math.max(state.maxBehindMs || 0, state.behindMs);
      if (node) { node.port.postMessage([caller, agent], [caller.buffer, agent.buffer]); }
    };
    socket.onclose = function (e) {
      socket = null;
      stopListening(e.code === 1008 ? "not allowed, or the call is not live" : "the call ended");
    };
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-listen]");
    if (!button) { return; }
    if (String(state.callId) === button.dataset.listen && state.state !== "stopped") { stopListening("stopped by you"); return; }
    listen(button.dataset.listen).catch(function (err) { stopListening(err.message); });
  });
  document.body.addEventListener("htmx:afterSwap", function () { if (state.callId) { render(); } });
})();
