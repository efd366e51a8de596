// Test call: the microphone to the server over WebRTC (PCMU), the agent's voice back, captions over a data channel.
// Signalling is one POST of the SDP offer (non-trickle ICE). window.parleyTestCall exposes the peer connection and
// the received-audio figures (what the page shows under the latency table) for the browser tests.
(function () {
  "use strict";
  var root = document.getElementById("test-call");
  if (!root) { return; }
  var el = function (id) { return document.getElementById(id); };
  var state = { pc: null, channel: null, testCall: null, bytes: 0, level: 0, energy: 0, timer: null, agentTurns: 0 };
  window.parleyTestCall = state;

  function status(text) { el("tc-status").textContent = text; }

  function addLine(speaker, text, v2v) {
    if (!text) { return; }
    var li = document.createElement("li");
    li.className = speaker;
    var who = document.createElement("div");
    who.className = "who";
    var b = document.createElement("b");
    b.textContent = speaker === "agent" ? "Agent" : "You";
    who.appendChild(b);
    if (v2v !== null && v2v !== undefined) {
      var s = document.createElement("span");
      s.textContent = v2v + " ms to voice";
      who.appendChild(s);
    }
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = text;
    li.appendChild(who);
    li.appendChild(bubble);
    el("tc-transcript").appendChild(li);
  }

  function addLatency(turn) {
    if (turn.v2v_ms === null || turn.v2v_ms === undefined) { return; }
    var body = el("tc-latency");
    var empty = body.querySelector(".empty-row");
    if (empty) { empty.remove(); }
    var tr = document.createElement("tr");
    [turn.index, turn.stt_ms, turn.llm_ms, turn.tts_ms, turn.v2v_ms].forEach(function (v, i) {
      var td = document.createElement("td");
      if (i) { td.className = "num"; }
      td.textContent = v === null || v === undefined ? "–" : String(v);
      if (i === 4) { td.style.fontWeight = "700"; if (v > 600) { td.className += " error"; } }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }

  function onEvent(event) {
    if (event.type === "caption") {
      el(event.speaker === "agent" ? "tc-agent-live" : "tc-caller-live").textContent =
        (event.speaker === "agent" ? "Agent: " : "You: ") + event.text;
    } else if (event.type === "turn") {
      var text = event.speaker === "agent" ? (event.heard_text || event.text) : event.text;
      addLine(event.speaker, text, event.speaker === "agent" ? event.v2v_ms : null);
      el(event.speaker === "agent" ? "tc-agent-live" : "tc-caller-live").textContent = "";
      if (event.speaker === "agent") { addLatency(event); }
    } else if (event.type === "ended") {
      finish(event.test_call);
    }
  }

  function iceGathered(pc) {
    if (pc.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var done = function () { if (pc.iceGatheringState === "complete") { resolve(); } };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000); // deadline: send what was gathered so far
    });
  }

  async function pollStats() {
    if (!state.pc) { return; }
    var report = await state.pc.getStats();
    report.forEach(function (s) {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        state.bytes = s.bytesReceived || 0;
        state.level = Math.max(state.level, s.audioLevel || 0);
        state.energy = s.totalAudioEnergy || 0; // grows only while the agent's audio is not silence
      }
    });
    el("tc-audio-stats").textContent = "Agent audio received: " + Math.round(state.bytes / 1024) + " KB";
  }

  function setCalling(on) {
    el("tc-start").disabled = on;
    el("tc-hangup").disabled = !on;
    el("tc-version").disabled = on;
    if (el("tc-say-text")) { el("tc-say-text").disabled = !on; el("tc-say-button").disabled = !on; }
  }

  function finish(testCall) {
    if (state.timer) { clearInterval(state.timer); state.timer = null; }
    pollStats().catch(function () {});
    if (state.pc) { state.pc.close(); state.pc = null; }
    setCalling(false);
    status("Call ended. Saved as test call #" + (testCall || state.testCall) + ".");
    var id = testCall || state.testCall;
    if (id) {
      fetch(root.dataset.resultUrl.replace("/0/", "/" + id + "/"), { headers: { "HX-Request": "true" } })
        .then(function (r) { return r.text(); })
        .then(function (html) { el("tc-result").innerHTML = html; });
    }
  }

  async function start() {
    setCalling(true);
    el("tc-transcript").innerHTML = "";
    status("Asking for the microphone…");
    var stream;
    try {
      // echo cancellation (Chromium's default, stated): with an audio STT the agent's voice from the speakers
      // must not come back as the caller's words
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }
      });
    } catch (err) {
      setCalling(false);
      status("The microphone is not available: " + err.message);
      return;
    }
    var pc = new RTCPeerConnection();
    state.pc = pc;
    var channel = pc.createDataChannel("events");
    state.channel = channel;
    channel.onmessage = function (m) { onEvent(JSON.parse(m.data)); };
    channel.onclose = function () { if (state.pc === pc) { finish(); } };
    stream.getAudioTracks().forEach(function (t) { pc.addTrack(t, stream); });
    pc.ontrack = function (e) {
      var audio = el("tc-audio");
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      audio.play().catch(function () {});
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "connected") { status("Connected: speak when the agent has finished."); }
      if (pc.connectionState === "failed") { status("The connection failed (no network path to the server)."); finish(); }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    status("Connecting…");
    var response = await fetch(root.dataset.offerUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, version: el("tc-version").value }),
    });
    var data = await response.json();
    if (!response.ok) {
      status(data.error || "The server refused the call.");
      pc.close(); state.pc = null; setCalling(false);
      return;
    }
    state.testCall = data.test_call;
    await pc.setRemoteDescription({ type: "answer", sdp: data.sdp });
    state.timer = setInterval(function () { pollStats().catch(function () {}); }, 500);
  }

  el("tc-start").addEventListener("click", function () { start().catch(function (e) { status("Error: " + e.message); setCalling(false); }); });
  el("tc-hangup").addEventListener("click", function () {
    if (state.channel && state.channel.readyState === "open") { state.channel.send(JSON.stringify({ type: "hangup" })); }
    status("Hanging up…");
  });
  var say = el("tc-say");
  if (say) {
    say.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = el("tc-say-text");
      if (input.value.trim() && state.channel && state.channel.readyState === "open") {
        state.channel.send(JSON.stringify({ type: "say", text: input.value.trim() }));
        el("tc-caller-live").textContent = "You (waiting for your voice): " + input.value.trim();
        input.value = "";
      }
    });
  }
})();
