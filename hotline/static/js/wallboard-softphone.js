// The supervisor's softphone on the wallboard (SIP lines): listen silently, coach or barge in from this
// browser. It registers only while joining a call (fresh credentials each time), answers the one call the
// line rings it with for that join (no second click), sends nothing while listening, and unregisters when
// the call ends. Joining again in another mode hangs up the first leg. wallboard.js calls expect(mode)
// before asking the line to ring, and cancel() when the line refused.
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("wallboard-config").textContent);
  if (!config.softphone || !window.HotlineSipEngine) return;
  const strings = config.strings;
  const http = window.hotlineHttp;
  const token = () => http.json("GET", "/api/v1/console/softphone/token");

  const panel = document.createElement("p");
  panel.id = "wall-softphone";
  panel.className = "wall-softphone";
  panel.hidden = true;
  panel.innerHTML = `<span id="wall-softphone-state" role="status" aria-live="polite"></span>
    <button type="button" class="danger" data-wall-phone="hangup"></button>
    <audio id="wall-softphone-audio" autoplay></audio>`;
  panel.querySelector("[data-wall-phone]").textContent = strings.leave;
  document.querySelector("#wallboard .wall-bar").after(panel);
  const stateBox = panel.querySelector("#wall-softphone-state");
  const speaker = panel.querySelector("#wall-softphone-audio");
  const say = (text) => {
    stateBox.textContent = text;
  };

  let engine = null;
  let current = null;
  let expected = null; // the mode of the join the line is about to ring this browser for
  let registered = false;
  let settle = null;
  const view = { mode: null, message: "" };

  let microphone = null;
  const release = () => {
    for (const track of microphone?.getTracks() || []) track.stop();
    microphone = null;
  };
  const finish = () => {
    expected = null;
    if (current) return;
    release();
    panel.hidden = Boolean(!view.message);
    engine?.unregister();
    registered = false;
  };
  const events = {
    ready: () => {
      registered = true;
      settle?.(true);
    },
    unregistered: () => {
      registered = false;
    },
    lost: (message) => {
      view.message = message;
      say(message);
      panel.hidden = false;
      settle?.(false);
      current?.hangUp();
      expected = null;
    },
    ringing: (call) => {
      // Only the join just asked for is answered; anything else rings on (the console, a desk phone).
      if (!expected) return;
      view.mode = expected;
      expected = null;
      current = call;
      if (view.mode === "listen") call.mute(true);
      call.answer(microphone);
    },
    audio: (stream) => {
      speaker.srcObject = stream;
      speaker.play().catch(() => {});
    },
    talking: (call) => {
      if (call !== current) return;
      view.message = "";
      panel.hidden = false;
      say(strings[view.mode]);
    },
    ended: (call) => {
      if (call !== current) return;
      current = null;
      view.mode = null;
      speaker.srcObject = null;
      say("");
      finish();
    },
  };

  const register = () => {
    if (registered) return Promise.resolve(true);
    return new Promise((resolve) => {
      settle = (value) => {
        settle = null;
        resolve(value);
      };
      engine.register().catch(() => settle?.(false));
    });
  };

  panel.addEventListener("click", (event) => {
    if (event.target.closest('[data-wall-phone="hangup"]')) current?.hangUp();
  });

  window.HotlineWallboardPhone = {
    // Get ready for the line to ring this browser into a call in `mode`; false when it cannot.
    expect: async (mode) => {
      view.message = "";
      // The microphone first, as the console does before going available: a blocked one is said now,
      // before the line rings a browser that cannot answer.
      // The stream it opens is the one the calls answer with (joining again in another mode too), closed
      // when the supervisor leaves the call.
      try {
        if (!microphone?.getTracks().some((track) => track.readyState === "live")) {
          microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
        }
      } catch {
        events.lost(strings.microphoneRefused);
        return false;
      }
      if (!engine) engine = window.HotlineSipEngine(await token(), events, { token, strings });
      current?.hangUp();
      current = null;
      expected = mode;
      const ready = await register();
      if (!ready) expected = null;
      return ready;
    },
    // The line will not ring this browser (refused, or the supervisor takes calls on their own phone).
    cancel: finish,
    // What the panel shows and the call's audio (tests read these).
    state: async () => ({
      registered,
      inCall: Boolean(current),
      ...view,
      packets: current ? await current.stats() : null,
    }),
  };
})();
