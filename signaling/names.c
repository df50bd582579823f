/* Short names of LiveKit enum values, for logs and JSON. */
#include "alto-signal.h"

#define NAME(table, v) ((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "unknown")

const char *alto_track_source_name(int source)
{
	static const char *const names[] = {
		"unknown", "camera", "microphone", "screen_share", "screen_share_audio",
	};
	return NAME(names, source);
}

const char *alto_track_type_name(int type)
{
	static const char *const names[] = { "audio", "video", "data" };
	return NAME(names, type);
}

const char *alto_connection_quality_name(int quality)
{
	static const char *const names[] = { "poor", "good", "excellent", "lost" };
	return NAME(names, quality);
}

const char *alto_disconnect_reason_name(int reason)
{
	static const char *const names[] = {
		"unknown", "client_initiated", "duplicate_identity", "server_shutdown",
		"participant_removed", "room_deleted", "state_mismatch", "join_failure",
		"migration", "signal_close", "room_closed", "user_unavailable", "user_rejected",
		"sip_trunk_failure", "connection_timeout", "media_failure", "agent_error",
	};
	return NAME(names, reason);
}

const char *alto_participant_kind_name(int kind)
{
	static const char *const names[] = {
		"standard", "ingress", "egress", "sip", "agent", NULL, NULL, "connector", "bridge",
	};
	return NAME(names, kind);
}
