/*
 * alto browser peer: joins a LiveKit room with the official livekit-client SDK (UMD build,
 * global LivekitClient), publishes an oscillator tone as the microphone track, and measures
 * every subscribed remote audio track. Driven by ../browser-peer.mjs through window.altoPeer;
 * every event goes to window.altoReport(obj) (a Playwright binding) or the console.
 *
 * Everything runs on the page's main thread; the AudioContext renders on Chromium's audio
 * thread. Chromium feeds a remote WebRTC track into WebAudio only while that track also plays
 * through a media element (seen here: with no element the MediaStreamSource reads silence, a
 * muted <audio> element is enough), so each remote track gets a muted <audio> element.
 */
(function () {
  'use strict';
  const LK = window.LivekitClient;

  const report = (obj) => {
    if (typeof window.altoReport === 'function') window.altoReport(obj);
    else console.log(JSON.stringify(obj));
  };

  const state = {
    room: null,
    ctx: null,
    oscillator: null,
    timer: null,
    remotes: new Map(), // track sid -> { identity, element, source, analyser, buffer }
  };

  function audioContext() {
    if (!state.ctx) state.ctx = new AudioContext({ sampleRate: 48000 });
    return state.ctx;
  }

  function attachRemote(track, publication, participant, fftSize) {
    const ctx = audioContext();
    const element = track.attach();
    element.muted = true; // heard only by the analyser; headless Chromium has no speakers anyway
    element.dataset.identity = participant.identity;
    document.getElementById('remotes').append(element);
    const source = ctx.createMediaStreamSource(new MediaStream([track.mediaStreamTrack]));
    const analyser = new AnalyserNode(ctx, { fftSize, smoothingTimeConstant: 0 });
    source.connect(analyser);
    state.remotes.set(publication.trackSid, {
      identity: participant.identity, track, element, source, analyser,
      buffer: new Float32Array(fftSize),
    });
  }

  function detachRemote(trackSid) {
    const r = state.remotes.get(trackSid);
    if (!r) return;
    r.source.disconnect();
    r.track.detach(r.element);
    r.element.remove();
    state.remotes.delete(trackSid);
  }

  function reportLevels() {
    const rate = audioContext().sampleRate;
    for (const [sid, r] of state.remotes) {
      r.analyser.getFloatTimeDomainData(r.buffer);
      const m = window.altoAnalysis.measureTone(r.buffer, rate, 50);
      report({
        event: 'levels', identity: r.identity, track_sid: sid,
        freq: Math.round(m.freq * 10) / 10,
        dbfs: Number.isFinite(m.dbfs) ? Math.round(m.dbfs * 100) / 100 : null,
        total_dbfs: Number.isFinite(m.total_dbfs) ? Math.round(m.total_dbfs * 100) / 100 : null,
      });
    }
  }

  /*
   * Resolves true once joined (and publishing, with a tone); false when the SDK could not
   * connect (an 'error' event with the SDK's reason and HTTP status has been reported).
   * opts: { url, token, tone (Hz, 0/absent: publish nothing), gain (oscillator peak, 0..1),
   *         intervalMs (level reports), fftSize (power of two), red, dtx }
   */
  async function start(opts) {
    const fftSize = opts.fftSize || 8192;
    const ctx = audioContext();
    await ctx.resume();

    const room = new LK.Room({ adaptiveStream: false, dynacast: false });
    state.room = room;
    room
      .on(LK.RoomEvent.ParticipantConnected, (p) => report({ event: 'participant_connected', identity: p.identity }))
      .on(LK.RoomEvent.ParticipantDisconnected, (p) => report({ event: 'participant_disconnected', identity: p.identity }))
      .on(LK.RoomEvent.TrackSubscribed, (track, publication, participant) => {
        if (track.kind !== LK.Track.Kind.Audio) return;
        attachRemote(track, publication, participant, fftSize);
        report({ event: 'track_subscribed', identity: participant.identity, track_sid: publication.trackSid,
                 source: publication.source });
      })
      .on(LK.RoomEvent.TrackUnsubscribed, (track, publication, participant) => {
        detachRemote(publication.trackSid);
        report({ event: 'track_unsubscribed', identity: participant.identity, track_sid: publication.trackSid });
      })
      .on(LK.RoomEvent.Reconnecting, () => report({ event: 'reconnecting' }))
      .on(LK.RoomEvent.Reconnected, () => report({ event: 'reconnected' }))
      .on(LK.RoomEvent.Disconnected, (reason) => report({ event: 'disconnected', reason }));

    try {
      await room.connect(opts.url, opts.token, { autoSubscribe: true });
    } catch (e) {
      // ConnectionError carries the server's HTTP status and a reason (NotAllowed, ...). Room.connect
      // copies the inner error's reason number but leaves reasonName at the outer one's, so the
      // name is looked up from the number.
      const reason = typeof e?.reason === 'number' ? (LK.ConnectionErrorReason?.[e.reason] ?? String(e.reason)) : null;
      report({ event: 'error', stage: 'connect', name: e?.name ?? 'Error', message: String(e?.message ?? e).trim(),
               reason, status: e?.status ?? null });
      return false;
    }
    report({
      event: 'joined', room: room.name, identity: room.localParticipant.identity,
      sid: room.localParticipant.sid,
      participants: [...room.remoteParticipants.values()].map((p) => p.identity),
    });

    if (opts.tone > 0) {
      const gain = opts.gain ?? 0.5;
      const oscillator = new OscillatorNode(ctx, { type: 'sine', frequency: opts.tone });
      const destination = ctx.createMediaStreamDestination();
      oscillator.connect(new GainNode(ctx, { gain })).connect(destination);
      oscillator.start();
      state.oscillator = oscillator;
      const publication = await room.localParticipant.publishTrack(destination.stream.getAudioTracks()[0], {
        name: 'tone', source: LK.Track.Source.Microphone,
        red: opts.red ?? true, dtx: opts.dtx ?? true,
      });
      report({ event: 'published', track_sid: publication.trackSid, freq: opts.tone, gain,
               dbfs: Math.round(20 * Math.log10(gain) * 100) / 100 });
    }

    state.timer = setInterval(reportLevels, opts.intervalMs || 500);
    return true;
  }

  async function stop() {
    clearInterval(state.timer);
    for (const sid of [...state.remotes.keys()]) detachRemote(sid);
    if (state.oscillator) state.oscillator.stop();
    if (state.room) await state.room.disconnect(true);
    if (state.ctx) await state.ctx.close();
  }

  window.altoPeer = { start, stop };
})();
