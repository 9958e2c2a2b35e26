// Record a prompt in the browser: MediaRecorder captures the microphone, the recording is decoded and
// written as a 16-bit mono WAV into the prompt's file input, and the settings form's Save uploads it.
// Without a microphone or MediaRecorder the recorder stays hidden: the file input is the fallback.
(() => {
  "use strict";

  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const text = JSON.parse(document.getElementById("prompt-recorder-text").textContent);

  function wavFile(buffer, name) {
    const samples = buffer.getChannelData(0);
    const rate = buffer.sampleRate;
    const data = new DataView(new ArrayBuffer(44 + samples.length * 2));
    const ascii = (offset, value) => [...value].forEach((c, i) => data.setUint8(offset + i, c.charCodeAt(0)));
    ascii(0, "RIFF");
    data.setUint32(4, 36 + samples.length * 2, true);
    ascii(8, "WAVE");
    ascii(12, "fmt ");
    data.setUint32(16, 16, true);
    data.setUint16(20, 1, true); // PCM
    data.setUint16(22, 1, true); // mono
    data.setUint32(24, rate, true);
    data.setUint32(28, rate * 2, true);
    data.setUint16(32, 2, true);
    data.setUint16(34, 16, true);
    ascii(36, "data");
    data.setUint32(40, samples.length * 2, true);
    samples.forEach((sample, i) => {
      const clipped = Math.max(-1, Math.min(1, sample));
      data.setInt16(44 + i * 2, clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff, true);
    });
    return new File([data.buffer], name, { type: "audio/wav" });
  }

  for (const prompt of document.querySelectorAll("[data-prompt]")) {
    const recorder = prompt.querySelector("[data-recorder]");
    const input = prompt.querySelector('input[type="file"]');
    if (!recorder || !input) continue;
    const start = recorder.querySelector("[data-record]");
    const stop = recorder.querySelector("[data-stop]");
    const status = recorder.querySelector("[data-recorder-status]");
    const preview = recorder.querySelector("[data-preview]");
    recorder.hidden = false;
    let media = null;

    start.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        status.textContent = text.denied;
        return;
      }
      const chunks = [];
      media = new MediaRecorder(stream);
      media.addEventListener("dataavailable", (event) => {
        chunks.push(event.data);
        recorder.dataset.chunks = String(chunks.length); // how much was heard so far (a test waits on it)
      });
      media.addEventListener("stop", async () => {
        stream.getTracks().forEach((track) => track.stop());
        const recorded = new Blob(chunks, { type: media.mimeType });
        const context = new AudioContext();
        try {
          const buffer = await context.decodeAudioData(await recorded.arrayBuffer());
          const file = wavFile(buffer, `${prompt.dataset.prompt}.wav`);
          const transfer = new DataTransfer();
          transfer.items.add(file);
          input.files = transfer.files;
          preview.src = URL.createObjectURL(file);
          preview.hidden = false;
          status.textContent = text.ready;
        } catch (error) {
          status.textContent = text.denied;
        } finally {
          context.close();
        }
      });
      media.start(250);
      start.disabled = true;
      stop.disabled = false;
      status.textContent = text.recording;
    });

    stop.addEventListener("click", () => {
      if (media && media.state !== "inactive") media.stop();
      start.disabled = false;
      stop.disabled = true;
    });
  }
})();
