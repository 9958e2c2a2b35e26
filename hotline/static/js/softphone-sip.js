// The browser softphone's SIP engine (JsSIP): SIP over WebSocket to Kamailio, WebRTC media through
// rtpengine. Shared by the console (a worker's calls) and the wallboard (a supervisor listening or
// coaching). `window.HotlineSipEngine(data, events, options)` returns {register(), unregister()}; `data` is
// what /api/v1/console/softphone/token issues, `options.token()` fetches fresh credentials and
// `options.strings` holds the messages for a refused registration, a dropped connection and a blocked
// microphone. It tells `events` when it is ready, unregistered, lost (with a message), ringing with a call,
// has the caller's audio, talks, and when a call ends (ended(call)). A call offers answer(stream?), mute(on),
// digit(key), hangUp() and stats(): its audio packets {received, sent} and the energy received.
(() => {
  "use strict";

  const audioPackets = async (connection) => {
    const counted = { received: 0, sent: 0, energy: 0 };
    if (!connection) return counted;
    (await connection.getStats()).forEach((report) => {
      if (report.kind !== "audio") return;
      if (report.type === "inbound-rtp") {
        counted.received += report.packetsReceived || 0;
        counted.energy += report.totalAudioEnergy || 0;
      }
      if (report.type === "outbound-rtp") counted.sent += report.packetsSent || 0;
    });
    return counted;
  };

  window.HotlineSipEngine = (data, events, { token, strings }) => {
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
    ua.on("registrationFailed", () => wanted && events.lost(strings.softphoneRefused));
    ua.on("disconnected", () => wanted && events.lost(strings.softphoneDropped));
    ua.on("newRTCSession", ({ session, originator }) => {
      if (originator !== "remote") return;
      let sender = null;
      let microphone = null;
      let muted = false;
      const call = {
        // With a microphone stream already open (the wallboard's), that one; else one asked for now.
        answer: (stream) =>
          session.answer(stream ? { mediaStream: stream } : { mediaConstraints: { audio: true, video: false } }),
        // Muted, nothing is sent at all (not even silence): the track is taken off the sender.
        // Before the call is answered it only takes note: the microphone is taken off as it connects.
        mute: async (on) => {
          muted = on;
          if (!sender) return;
          if (on) session.mute({ audio: true });
          else session.unmute({ audio: true });
          await sender.replaceTrack(on ? null : microphone);
        },
        digit: (key) => session.sendDTMF(key, { transportType: SIP.C.DTMF_TRANSPORT.RFC2833 }),
        hangUp: () => session.isEnded() || session.terminate(),
        stats: () => audioPackets(session.connection),
      };
      session.on("accepted", async () => {
        const receiver = session.connection.getReceivers().find((item) => item.track?.kind === "audio");
        if (receiver) events.audio(new MediaStream([receiver.track]));
        sender = session.connection.getSenders().find((item) => item.track?.kind === "audio") || null;
        microphone = sender?.track || null;
        if (muted && sender) await call.mute(true);
        events.talking(call);
      });
      session.on("ended", () => events.ended(call));
      session.on("failed", (event) => {
        if (event.cause === SIP.C.causes.USER_DENIED_MEDIA_ACCESS) events.lost(strings.microphoneRefused);
        events.ended(call);
      });
      events.ringing(call);
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
})();
