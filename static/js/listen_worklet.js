// Plays a live call's two sides (left: caller, right: agent) from slices posted by listen.js, a little behind
// real time: it starts after PREBUFFER_S of audio, re-buffers after an underrun, and drops the oldest audio beyond
// MAX_BEHIND_S so the manager never drifts far behind the call. Posts {played, peakCaller, peakAgent, buffered}
// ~4x a second.
const PREBUFFER_S = 0.25;
const MAX_BEHIND_S = 1.0;

class ParleyListen extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.offset = 0;
    this.buffered = 0;
    this.started = false;
    this.played = 0;
    this.peaks = [0, 0];
    this.sinceReport = 0;
    this.port.onmessage = (e) => {
      this.queue.push(e.data);
      this.buffered += e.data[0].length;
      while (this.buffered > MAX_BEHIND_S * sampleRate && this.queue.length > 1) {
        this.buffered -= this.queue[0][0].length - this.offset;
        this.queue.shift();
        this.offset = 0;
      }
    };
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const left = out[0];
    const right = out[1] || out[0];
    if (!this.started && this.buffered >= PREBUFFER_S * sampleRate) { this.started = true; }
    for (let i = 0; i < left.length; i++) {
      if (!this.started || this.queue.length === 0) {
        this.started = false;
        left[i] = 0; right[i] = 0;
        continue;
      }
      const [caller, agent] = this.queue[0];
      left[i] = caller[this.offset];
      right[i] = agent[this.offset];
      this.peaks[0] = Math.max(this.peaks[0], Math.abs(left[i]));
      this.peaks[1] = Math.max(this.peaks[1], Math.abs(right[i]));
      this.played++;
      this.buffered--;
      if (++this.offset >= caller.length) { this.queue.shift(); this.offset = 0; }
    }
    this.sinceReport += left.length;
    if (this.sinceReport >= sampleRate / 4) {
      this.port.postMessage({
        played: this.played, peakCaller: this.peaks[0], peakAgent: this.peaks[1], buffered: this.buffered,
      });
      this.peaks = [0, 0];
      this.sinceReport = 0;
    }
    return true;
  }
}

registerProcessor("parley-listen", ParleyListen);
