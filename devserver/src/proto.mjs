/**
 * The LiveKit signaling messages this server speaks (@livekit/protocol 1.52.x, protobuf-es),
 * plus the two codecs it needs: binary protobuf (what SDKs use) and protobuf JSON (what the
 * real server switches to when a client sends a text frame).
 */
import * as lk from '@livekit/protocol';

export const {
  SignalRequest, SignalResponse, JoinResponse, JoinRequest, WrappedJoinRequest, WrappedJoinRequest_Compression,
  ParticipantInfo, ParticipantInfo_State, ParticipantInfo_Kind, ParticipantPermission, ParticipantUpdate,
  TrackInfo, TrackType, TrackSource, TrackPublishedResponse, TrackUnpublishedResponse, MuteTrackRequest,
  Room, ServerInfo, ServerInfo_Edition, ICEServer, ClientConfiguration, ClientInfo, ClientInfo_SDK,
  SessionDescription, TrickleRequest, SignalTarget, LeaveRequest, LeaveRequest_Action, DisconnectReason,
  Pong, ReconnectResponse, MediaSectionsRequirement, SubscriptionResponse, SubscriptionError,
  RequestResponse, RequestResponse_Reason, TrackSubscribed, SpeakersChanged, SpeakerInfo, RoomUpdate,
  ConnectionQualityUpdate, ConnectionQualityInfo, ConnectionQuality, ReconnectReason, AudioTrackFeature,
} = lk;

/** SignalResponse{message: {case, value}} */
export function response(kase, value) {
  return new SignalResponse({ message: { case: kase, value } });
}

/** TrackSource from the strings a token's canPublishSources uses. */
export const SOURCE_NAMES = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
};

/** JSON for logs: int64 as strings, enums as names, empty fields left out. */
export function toJson(msg) {
  try {
    return msg.toJson({ emitDefaultValues: false });
  } catch {
    return { undecodable: true };
  }
}
