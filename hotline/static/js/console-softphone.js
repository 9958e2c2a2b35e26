// Connecting the worker to the caller: the browser softphone (the Twilio Voice JS SDK on a Twilio line,
// JsSIP on a SIP line), or, in simulator mode, a text channel with the simulated caller. Also keeps the page (and the call's audio) alive while
// the worker moves between the board and the current call, by loading pages without leaving this one.
(() => {
  "use strict";

  const C = window.HotlineConsole;
  const S = C.config.strings;
  const statusBox = document.getElementById("softphone-status");
  const show = (text, ok) => {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = `softphone-status ${ok ? "online" : "offline"}`;
  };

  /* Simulator: the conversation is typed. ---------------------------------------------------- */
  const initChat = () => {
    const box = document.querySelector("[data-chat-call]");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    const callId = box.dataset.chatCall;
    const list = document.getElementById("chat-lines");
    const load = async () => {
      try {
        const data = await C.api("GET", `/api/v1/console/calls/${callId}/chat`);
        list.innerHTML = "";
        for (const line of data.lines) {
          const item = document.createElement("li");
          item.className = `from-${line.sender}`;
          item.textContent = line.body;
          list.appendChild(item);
        }
      } catch {
        // The next line or the next poll loads again.
      }
    };
    document.getElementById("chat-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("chat-input");
      if (!input.value.trim()) return;
      await C.api("POST", `/api/v1/console/calls/${callId}/chat`, { body: input.value });
      input.value = "";
      load();
    });
    document.addEventListener("hotline:chat", load);
    setInterval(load, 4000);
  };

  /* Browser softphone: one shape, two engines ------------------------------------------------ */
  // An engine connects this browser to the line: the Twilio Voice SDK on a Twilio line, JsSIP on a SIP
  // line (SIP over WebSocket to Kamailio, WebRTC media through rtpengine). Each offers register() and
  // unregister(), and tells `events` when it is ready, unregistered, lost (with a message) and ringing with
  // a call. A call offers answer(), mute(on) (the microphone), digit(key), hangUp(), stats() ({received,
  // sent} audio packets, or null) and tells the panel when it talks and when it ends. Holding the caller is
  // the line's (console-call.js: the call's conference with hold music), on every line the same.
  const token = () => C.api("GET", "/api/v1/console/softphone/token");

  const twilioEngine = (data, events) => {
    const device = new window.Twilio.Device(data.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
    device.on("registered", events.ready);
    device.on("unregistered", events.unregistered);
    device.on("error", (error) => say(`${S.softphoneError}: ${error.message}`, false));
    device.on("tokenWillExpire", async () => device.updateToken((await token()).token));
    device.on("incoming", (call) => {
      for (const name of ["disconnect", "cancel", "reject"]) call.on(name, events.ended);
      call.on("accept", events.talking);
      events.ringing({
        answer: () => call.accept(),
        mute: (on) => call.mute(on),
        digit: (key) => call.sendDigits(key),
        hangUp: () => call.disconnect(),
        stats: async () => null,
      });
    });
    return { register: () => device.register(), unregister: () => device.unregister() };
  };

  const audioPackets = async (connection) => {
    const counted = { received: 0, sent: 0 };
    if (!connection) return counted;
    (await connection.getStats()).forEach((report) => {
      if (report.kind !== "audio") return;
      if (report.type === "inbound-rtp") counted.received += report.packetsReceived || 0;
      if (report.type === "outbound-rtp") counted.sent += report.packetsSent || 0;
    });
    return counted;
  };

  const sipEngine = (data, events) => {
    const SIP = window.JsSIP;
    const ua = new SIP.UA({
      sockets: [new SIP.WebSocketInterface(data.ws_url)],
      uri: data.aor,
      authorization_user: data.username,
      password: data.password,
      registrar_server: data.registrar,
      register: false,
      register_expires: 300,
      session_timers: false,
      user_agent: "Hotline console",
    });
    let wanted = false;
    ua.on("registered", events.ready);
    ua.on("unregistered", () => {
      if (!wanted) events.unregistered();
    });
    ua.on("registrationFailed", () => wanted && events.lost(S.softphoneRefused));
    ua.on("disconnected", () => wanted && events.lost(S.softphoneDropped));
    ua.on("newRTCSession", ({ session, originator }) => {
      if (originator !== "remote") return;
      let sender = null;
      let microphone = null;
      session.on("accepted", () => {
        const receiver = session.connection.getReceivers().find((item) => item.track?.kind === "audio");
        if (receiver) events.audio(new MediaStream([receiver.track]));
        sender = session.connection.getSenders().find((item) => item.track?.kind === "audio") || null;
        microphone = sender?.track || null;
        events.talking();
      });
      session.on("ended", events.ended);
      session.on("failed", (event) => {
        if (event.cause === SIP.C.causes.USER_DENIED_MEDIA_ACCESS) events.lost(S.microphoneRefused);
        events.ended();
      });
      events.ringing({
        answer: () => session.answer({ mediaConstraints: { audio: true, video: false } }),
        // Muted, nothing is sent at all (not even silence): the track is taken off the sender.
        mute: async (on) => {
          if (on) session.mute({ audio: true });
          else session.unmute({ audio: true });
          if (sender) await sender.replaceTrack(on ? null : microphone);
        },
        digit: (key) => session.sendDTMF(key, { transportType: SIP.C.DTMF_TRANSPORT.RFC2833 }),
        hangUp: () => session.terminate(),
        stats: () => audioPackets(session.connection),
      });
    });
    ua.start();
    return {
      // Fresh credentials for every registration: they are short-lived and never kept beyond this page.
      register: async () => {
        wanted = true;
        const fresh = await token();
        ua.set("authorization_user", fresh.username);
        ua.set("password", fresh.password);
        ua.register();
      },
      unregister: () => {
        wanted = false;
        if (ua.isRegistered()) ua.unregister();
      },
    };
  };

  /* The softphone's panel: status, devices check, and the call's buttons ------------------------ */
  const panel = document.createElement("section");
  panel.id = "softphone";
  panel.className = "softphone card";
  panel.hidden = true;
  panel.setAttribute("aria-label", S.softphone);
  panel.innerHTML = `
    <p class="softphone-line"><span id="softphone-state" class="softphone-status" role="status"></span>
      <button type="button" class="secondary" data-phone="check"></button></p>
    <p id="softphone-check" class="hint" role="status"></p>
    <div id="softphone-call" class="softphone-call" hidden>
      <button type="button" class="secondary" data-phone="mute" aria-pressed="false"></button>
      <button type="button" class="danger" data-phone="hangup"></button>
      <div class="keypad" role="group"></div>
    </div>
    <audio id="softphone-audio" autoplay></audio>`;
  panel.querySelector('[data-phone="check"]').textContent = S.checkDevices;
  panel.querySelector('[data-phone="mute"]').textContent = S.mute;
  panel.querySelector('[data-phone="hangup"]').textContent = S.hangUp;
  const keypad = panel.querySelector(".keypad");
  keypad.setAttribute("aria-label", S.keypad);
  for (const key of "123456789*0#") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.dataset.digit = key;
    button.textContent = key;
    keypad.appendChild(button);
  }
  const stateBox = panel.querySelector("#softphone-state");
  const checkBox = panel.querySelector("#softphone-check");
  const callBox = panel.querySelector("#softphone-call");
  const speaker = panel.querySelector("#softphone-audio");
  const say = (text, ok) => {
    show(text, ok);
    stateBox.textContent = text;
    stateBox.className = `softphone-status ${ok ? "online" : "offline"}`;
  };

  let engine = null;
  let current = null;
  let registered = false;
  let registering = null;
  const view = { message: "", muted: false };

  // The worker wants calls in this browser unless on break or offline, or taking them on their own phone.
  const wantsCalls = () => {
    const status = document.querySelector("#console-status .my-status");
    if (!status) return null;
    const via = document.querySelector('input[name="connect_via"]:checked')?.value;
    return !["break", "offline"].includes(status.dataset.state) && via !== "phone";
  };
  const register = () => {
    if (registered) return Promise.resolve(true);
    if (!registering) {
      say(S.softphoneConnecting, false);
      registering = new Promise((resolve) => {
        const settle = (value) => {
          registering = null;
          resolve(value);
        };
        events.settle = settle;
        engine.register().catch(() => settle(false));
      });
    }
    return registering;
  };
  const sync = () => {
    const want = wantsCalls();
    if (!engine || want === null) return;
    if (want && !registered) register();
    if (!want && (registered || registering) && !current) {
      engine.unregister();
      registered = false;
    }
  };
  // Something broke (microphone refused, connection or registration lost): say so, and stop the offers to
  // this browser so they go to a colleague.
  const lost = async (message) => {
    view.message = message;
    registered = false;
    say(message, false);
    events.settle?.(false);
    engine?.unregister();
    if (wantsCalls()) {
      try {
        await C.api("POST", "/api/v1/routing/presence", { state: "offline" });
      } finally {
        C.refresh();
      }
    }
  };
  const events = {
    settle: null,
    ready: () => {
      registered = true;
      view.message = "";
      say(S.softphoneReady, true);
      events.settle?.(true);
    },
    unregistered: () => {
      registered = false;
      if (!view.message) say(S.softphoneAway, false);
    },
    lost,
    ringing: (call) => {
      // The worker accepted the offer in the console: this is that call (or a warm transfer's conference).
      current = call;
      view.muted = false;
      const mute = panel.querySelector('[data-phone="mute"]');
      mute.textContent = S.mute;
      mute.setAttribute("aria-pressed", "false");
      callBox.hidden = false;
      call.answer();
    },
    audio: (stream) => {
      speaker.srcObject = stream;
      speaker.play().catch(() => {});
    },
    talking: () => say(S.softphoneTalking, true),
    ended: () => {
      if (!current) return;
      current = null;
      callBox.hidden = true;
      speaker.srcObject = null;
      if (registered) say(S.softphoneReady, true);
      C.refresh();
    },
  };

  const microphone = async () => {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (error) {
      lost(error.name === "NotAllowedError" ? S.microphoneRefused : `${S.microphoneMissing}: ${error.message}`);
      return null;
    }
  };
  // Before going available: the microphone is allowed and the softphone is registered.
  const beforeAvailable = async () => {
    if (!engine || document.querySelector('input[name="connect_via"]:checked')?.value === "phone") return true;
    const stream = await microphone();
    if (!stream) return false;
    for (const track of stream.getTracks()) track.stop();
    view.message = "";
    return register();
  };
  // The devices check: the microphone's level for two seconds, and a tone in the speaker.
  const checkDevices = async () => {
    const stream = await microphone();
    if (!stream) return;
    const context = new (window.AudioContext || window.webkitAudioContext)();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const tone = context.createOscillator();
    const gain = context.createGain();
    gain.gain.value = 0.1;
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.5);
    const samples = new Uint8Array(analyser.fftSize);
    let loudest = 0;
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      analyser.getByteTimeDomainData(samples);
      for (const sample of samples) loudest = Math.max(loudest, Math.abs(sample - 128));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const track of stream.getTracks()) track.stop();
    context.close();
    checkBox.textContent = loudest > 4 ? S.devicesWork : S.microphoneSilent;
  };

  panel.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-phone], [data-digit]");
    if (!target) return;
    if (target.dataset.phone === "check") return checkDevices();
    if (!current) return;
    if (target.dataset.digit) return current.digit(target.dataset.digit);
    if (target.dataset.phone === "hangup") return current.hangUp();
    view.muted = !view.muted;
    target.setAttribute("aria-pressed", String(view.muted));
    target.textContent = view.muted ? S.unmute : S.mute;
    await current.mute(view.muted);
  });

  const initDevice = async () => {
    if (!C.config.softphone) return;
    try {
      const data = await token();
      if (data.mode === "twilio" && window.Twilio?.Device) engine = twilioEngine(data, events);
      else if (data.mode === "sip" && window.JsSIP) engine = sipEngine(data, events);
      if (!engine) return;
      document.body.appendChild(panel);
      panel.hidden = false;
      document.addEventListener("hotline:rendered", sync);
      sync();
    } catch (error) {
      show(`${S.softphoneError}: ${error.message}`, false);
    }
  };
  window.HotlineSoftphone = {
    beforeAvailable,
    // What the panel shows, and the call's audio packets (tests and the bench read these).
    state: async () => ({ registered, inCall: Boolean(current), ...view, packets: current ? await current.stats() : null }),
  };

  /* Moving between console pages without dropping the call's audio ---------------------------------- */
  const replaceMain = (html, url) => {
    const main = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    if (!main) {
      window.location.href = url;
      return;
    }
    document.querySelector("main").innerHTML = main.innerHTML;
    if (url && url !== window.location.href) history.pushState({}, "", url);
    const match = /\/console\/calls\/(\d+)/.exec(new URL(url || window.location.href).pathname);
    C.config.callId = match ? Number(match[1]) : null;
    window.HotlineIntake?.init();
    initChat();
    C.afterRender();
  };
  const load = async (response) => replaceMain(await response.text(), response.url);
  const go = async (url) => load(await fetch(url, { credentials: "same-origin" }));
  if (C.config.softphone) {
    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (!form.closest("main") || (form.method || "").toLowerCase() !== "post" || !engine) return;
      event.preventDefault();
      const body = new FormData(form);
      if (event.submitter?.name) body.append(event.submitter.name, event.submitter.value);
      load(await fetch(form.action, { method: "POST", body, credentials: "same-origin" }));
    });
    window.addEventListener("popstate", () => go(window.location.href));
    window.HotlineSoftNav = { go };
  }
  initChat();
  initDevice();
})();
