/* Formatting `alto join` events as human lines or JSON lines. */
#include "join-output.h"

#include <string.h>
#include <time.h>

#include <glib.h>

#include "alto-text.h"

static const char *state_name(int state)
{
	static const char *const names[] = { "joining", "joined", "active", "disconnected" };
	return state >= 0 && state < 4 ? names[state] : "unknown";
}

const char *join_output_end_name(enum alto_signal_end end)
{
	switch (end) {
	case ALTO_SIGNAL_END_CLIENT: return "client";
	case ALTO_SIGNAL_END_REMOVED: return "removed";
	case ALTO_SIGNAL_END_UNAUTHORIZED: return "unauthorized";
	case ALTO_SIGNAL_END_REFUSED: return "refused";
	case ALTO_SIGNAL_END_UNREACHABLE: return "unreachable";
	default: return "error";
	}
}

/* ------------------------------------------------------------------ JSON */

static GString *json_begin(const char *event)
{
	GString *s = g_string_new("{\"event\":");
	alto_text_append_json_string(s, event, (size_t)-1);
	g_string_append_printf(s, ",\"t\":%" G_GINT64_FORMAT, g_get_real_time() / 1000);
	return s;
}

static void json_key(GString *s, const char *key)
{
	g_string_append_c(s, ',');
	alto_text_append_json_string(s, key, (size_t)-1);
	g_string_append_c(s, ':');
}

static void json_str(GString *s, const char *key, const char *value)
{
	json_key(s, key);
	alto_text_append_json_string(s, value, (size_t)-1);
}

/* members of an object already opened with '{' (first member without comma) */
static void json_track(GString *s, const struct alto_track_info *t)
{
	g_string_append(s, "{\"sid\":");
	alto_text_append_json_string(s, t->sid, (size_t)-1);
	json_str(s, "name", t->name);
	json_str(s, "type", alto_track_type_name(t->type));
	json_str(s, "source", alto_track_source_name(t->source));
	json_key(s, "muted");
	g_string_append(s, t->muted ? "true" : "false");
	json_str(s, "mime_type", t->mime_type);
	g_string_append_c(s, '}');
}

static void json_participant_ref(GString *s, const struct alto_participant_info *p)
{
	g_string_append(s, "{\"sid\":");
	alto_text_append_json_string(s, p->sid, (size_t)-1);
	json_str(s, "identity", p->identity);
	json_str(s, "name", p->name);
	g_string_append_c(s, '}');
}

static void json_participant(GString *s, const struct alto_participant_info *p)
{
	size_t i;

	g_string_append(s, "{\"sid\":");
	alto_text_append_json_string(s, p->sid, (size_t)-1);
	json_str(s, "identity", p->identity);
	json_str(s, "name", p->name);
	json_str(s, "state", state_name(p->state));
	json_str(s, "kind", alto_participant_kind_name(p->kind));
	json_str(s, "metadata", p->metadata);
	json_key(s, "tracks");
	g_string_append_c(s, '[');
	for (i = 0; i < p->n_tracks; i++) {
		if (i)
			g_string_append_c(s, ',');
		json_track(s, &p->tracks[i]);
	}
	g_string_append(s, "]}");
}

static void json_participants(GString *s, const struct alto_participant_info *const *list, size_t n)
{
	size_t i;

	json_key(s, "participants");
	g_string_append_c(s, '[');
	for (i = 0; i < n; i++) {
		if (i)
			g_string_append_c(s, ',');
		json_participant(s, list[i]);
	}
	g_string_append_c(s, ']');
}

static void json_room(GString *s, const struct alto_room_info *room)
{
	json_key(s, "room");
	g_string_append(s, "{\"sid\":");
	alto_text_append_json_string(s, room ? room->sid : "", (size_t)-1);
	json_str(s, "name", room ? room->name : "");
	g_string_append_c(s, '}');
}

/* ------------------------------------------------------------------ human */

static GString *human_begin(const char *event)
{
	GString *s = g_string_new(NULL);
	GDateTime *now = g_date_time_new_now_local();
	gchar *ts = g_date_time_format(now, "%H:%M:%S");

	g_string_append_printf(s, "%s.%03d %s", ts, g_date_time_get_microsecond(now) / 1000, event);
	g_free(ts);
	g_date_time_unref(now);
	return s;
}

static void human_text(GString *s, const char *text)
{
	alto_text_append_printable(s, text, (size_t)-1);
}

static void human_quoted(GString *s, const char *text)
{
	g_string_append_c(s, '"');
	alto_text_append_printable(s, text, (size_t)-1);
	g_string_append_c(s, '"');
}

static void human_participant(GString *s, const struct alto_participant_info *p, bool tracks)
{
	human_text(s, p->identity[0] ? p->identity : "(no identity)");
	if (p->name[0] && strcmp(p->name, p->identity) != 0) {
		g_string_append_c(s, ' ');
		human_quoted(s, p->name);
	}
	g_string_append(s, " (");
	human_text(s, p->sid);
	if (tracks && p->n_tracks > 0) {
		size_t i;
		g_string_append(s, "; ");
		for (i = 0; i < p->n_tracks; i++) {
			if (i)
				g_string_append(s, ", ");
			g_string_append(s, alto_track_source_name(p->tracks[i].source));
			if (p->tracks[i].muted)
				g_string_append(s, " muted");
		}
	}
	g_string_append_c(s, ')');
}

static void human_participants(GString *s, const struct alto_participant_info *const *list, size_t n)
{
	size_t i;

	g_string_append_printf(s, "; %zu other participant%s%s", n, n == 1 ? "" : "s", n ? ": " : "");
	for (i = 0; i < n; i++) {
		if (i)
			g_string_append(s, ", ");
		human_participant(s, list[i], true);
	}
}

/* ------------------------------------------------------------------ output */

static void finish(const struct join_output *o, GString *s)
{
	if (o->json)
		g_string_append_c(s, '}');
	g_string_append_c(s, '\n');
	fputs(s->str, o->out);
	fflush(o->out);
	g_string_free(s, TRUE);
}

void join_output_joined(const struct join_output *o, const struct alto_join_info *info)
{
	const char *event = info->rejoin ? "reconnected" : "joined";
	GString *s;

	if (o->json) {
		s = json_begin(event);
		if (info->rejoin) {
			json_key(s, "resumed");
			g_string_append(s, "false");
		}
		json_room(s, info->room);
		json_key(s, "self");
		json_participant(s, info->self);
		json_participants(s, info->participants, info->n_participants);
		json_str(s, "mode", info->single_pc ? "single_pc" : "legacy");
		json_str(s, "server_version", info->server_version);
		json_key(s, "audio");
		g_string_append(s, o->audio ? "true" : "false");
	} else {
		s = human_begin(event);
		g_string_append(s, " room ");
		human_quoted(s, info->room ? info->room->name : "");
		g_string_append(s, " as ");
		human_participant(s, info->self, false);
		human_participants(s, info->participants, info->n_participants);
		if (!o->audio)
			g_string_append(s, "; audio off");
	}
	finish(o, s);
}

void join_output_resumed(const struct join_output *o, const struct alto_room_info *room,
			 const struct alto_participant_info *const *list, size_t n)
{
	GString *s;

	if (o->json) {
		s = json_begin("reconnected");
		json_key(s, "resumed");
		g_string_append(s, "true");
		json_room(s, room);
		json_participants(s, list, n);
	} else {
		s = human_begin("reconnected");
		g_string_append(s, " (session resumed)");
		human_participants(s, list, n);
	}
	finish(o, s);
}

void join_output_participant(const struct join_output *o, const char *event,
			     const struct alto_participant_info *p)
{
	GString *s;

	if (o->json) {
		s = json_begin(event);
		json_key(s, "participant");
		json_participant(s, p);
	} else {
		s = human_begin(event);
		g_string_append_c(s, ' ');
		human_participant(s, p, true);
		if (strcmp(event, "participant_updated") == 0)
			g_string_append_printf(s, " %s", state_name(p->state));
	}
	finish(o, s);
}

void join_output_track(const struct join_output *o, const char *event,
		       const struct alto_participant_info *p, const struct alto_track_info *t)
{
	GString *s;

	if (o->json) {
		s = json_begin(event);
		json_key(s, "participant");
		json_participant_ref(s, p);
		json_key(s, "track");
		json_track(s, t);
	} else {
		s = human_begin(event);
		g_string_append_c(s, ' ');
		human_text(s, p->identity);
		g_string_append_printf(s, " %s %s ", alto_track_source_name(t->source), alto_track_type_name(t->type));
		human_text(s, t->sid);
		if (t->name[0]) {
			g_string_append_c(s, ' ');
			human_quoted(s, t->name);
		}
	}
	finish(o, s);
}

void join_output_speakers(const struct join_output *o, const struct alto_speaker *sp, size_t n)
{
	GString *s;
	size_t i;

	if (o->json) {
		s = json_begin("speakers");
		json_key(s, "speakers");
		g_string_append_c(s, '[');
		for (i = 0; i < n; i++) {
			if (i)
				g_string_append_c(s, ',');
			g_string_append(s, "{\"sid\":");
			alto_text_append_json_string(s, sp[i].sid, (size_t)-1);
			json_str(s, "identity", sp[i].identity);
			g_string_append_printf(s, ",\"level\":%.3f,\"self\":%s}", sp[i].level,
					       sp[i].is_self ? "true" : "false");
		}
		g_string_append_c(s, ']');
	} else {
		s = human_begin("speakers");
		if (n == 0)
			g_string_append(s, " (nobody)");
		for (i = 0; i < n; i++) {
			g_string_append(s, i ? ", " : " ");
			human_text(s, sp[i].identity);
			g_string_append_printf(s, " %.2f", sp[i].level);
		}
	}
	finish(o, s);
}

void join_output_quality(const struct join_output *o, const struct alto_quality_update *q, size_t n)
{
	GString *s;
	size_t i;

	if (o->json) {
		s = json_begin("quality");
		json_key(s, "updates");
		g_string_append_c(s, '[');
		for (i = 0; i < n; i++) {
			if (i)
				g_string_append_c(s, ',');
			g_string_append(s, "{\"sid\":");
			alto_text_append_json_string(s, q[i].sid, (size_t)-1);
			json_str(s, "identity", q[i].identity);
			json_str(s, "quality", alto_connection_quality_name(q[i].quality));
			g_string_append_printf(s, ",\"score\":%.2f,\"self\":%s}", q[i].score,
					       q[i].is_self ? "true" : "false");
		}
		g_string_append_c(s, ']');
	} else {
		s = human_begin("quality");
		for (i = 0; i < n; i++) {
			g_string_append(s, i ? ", " : " ");
			human_text(s, q[i].identity);
			g_string_append_printf(s, " %s", alto_connection_quality_name(q[i].quality));
		}
	}
	finish(o, s);
}

void join_output_reconnecting(const struct join_output *o, const struct alto_reconnect_status *st,
			      bool ever_joined)
{
	GString *s;

	if (o->json) {
		s = json_begin("reconnecting");
		g_string_append_printf(s, ",\"attempt\":%u,\"delay_ms\":%u,\"full\":%s,\"joined_before\":%s",
				       st->attempt, st->delay_ms, st->full ? "true" : "false",
				       ever_joined ? "true" : "false");
		json_str(s, "reason", st->reason);
	} else {
		s = human_begin("reconnecting");
		g_string_append_printf(s, " (%s, attempt %u in %u ms): ", st->full ? "join" : "resume",
				       st->attempt, st->delay_ms);
		human_text(s, st->reason);
	}
	finish(o, s);
}

void join_output_left(const struct join_output *o, const struct alto_left_info *info, int exit_code)
{
	GString *s;

	if (o->json) {
		s = json_begin("left");
		json_str(s, "reason", join_output_end_name(info->end));
		if (info->end == ALTO_SIGNAL_END_REMOVED)
			json_str(s, "server_reason", alto_disconnect_reason_name(info->reason));
		if (info->http_status)
			g_string_append_printf(s, ",\"http_status\":%u", info->http_status);
		json_str(s, "message", info->message);
		g_string_append_printf(s, ",\"exit_code\":%d", exit_code);
	} else {
		s = human_begin("left");
		g_string_append(s, ": ");
		human_text(s, info->message);
	}
	finish(o, s);
}

/* ------------------------------------------------------------------ graph events (room session) */

void join_output_stream(const struct join_output *o, const char *event,
			const struct alto_participant_stream_info *info)
{
	GString *s;

	if (o->json) {
		s = json_begin(event);
		json_key(s, "participant");
		g_string_append(s, "{\"sid\":");
		alto_text_append_json_string(s, info->participant_sid, (size_t)-1);
		json_str(s, "identity", info->identity);
		json_str(s, "name", info->name);
		g_string_append_c(s, '}');
		json_str(s, "track_sid", info->track_sid);
		json_str(s, "node_name", info->node_name);
		g_string_append_printf(s, ",\"node_id\":%u", info->node_id);
		json_str(s, "mixer_input", info->mixer_input);
		g_string_append_printf(s, ",\"channels\":%u", info->channels);
	} else {
		s = human_begin(event);
		g_string_append_c(s, ' ');
		human_text(s, info->identity);
		if (info->name[0] && strcmp(info->name, info->identity) != 0) {
			g_string_append_c(s, ' ');
			human_quoted(s, info->name);
		}
		g_string_append(s, " (");
		human_text(s, info->track_sid);
		g_string_append(s, "): node ");
		g_string_append_printf(s, "%u ", info->node_id);
		human_text(s, info->node_name);
		g_string_append(s, ", mixer input ");
		human_text(s, info->mixer_input);
	}
	finish(o, s);
}

/* One node of ours: event name, node name and id (room_mixer, send_stream). */
static void node_event(const struct join_output *o, const char *event, const char *node_name, uint32_t node_id)
{
	GString *s;

	if (o->json) {
		s = json_begin(event);
		json_str(s, "node_name", node_name);
		g_string_append_printf(s, ",\"node_id\":%u", node_id);
	} else {
		s = human_begin(event);
		g_string_append_printf(s, " node %u ", node_id);
		human_text(s, node_name);
	}
	finish(o, s);
}

void join_output_mixer(const struct join_output *o, const char *node_name, uint32_t node_id)
{
	node_event(o, "room_mixer", node_name, node_id);
}

void join_output_output_linked(const struct join_output *o, const char *target_name, uint32_t target_id)
{
	GString *s;

	if (o->json) {
		s = json_begin("mixer_output");
		json_str(s, "target", target_name);
		g_string_append_printf(s, ",\"target_id\":%u", target_id);
	} else {
		s = human_begin("mixer_output");
		g_string_append(s, " linked to ");
		human_text(s, target_name);
		g_string_append_printf(s, " (node %u)", target_id);
	}
	finish(o, s);
}

void join_output_error(const struct join_output *o, int res, const char *message)
{
	GString *s;

	if (o->json) {
		s = json_begin("error");
		g_string_append_printf(s, ",\"code\":%d", res);
		json_str(s, "message", message);
	} else {
		s = human_begin("error");
		g_string_append(s, " ");
		human_text(s, message);
	}
	finish(o, s);
}

void join_output_stats(const struct join_output *o, const struct alto_participant_stream_info *info,
		       const struct alto_participant_stream_stats *st)
{
	GString *s;

	if (o->json) {
		s = json_begin("stream_stats");
		json_key(s, "participant");
		g_string_append(s, "{\"sid\":");
		alto_text_append_json_string(s, info->participant_sid, (size_t)-1);
		json_str(s, "identity", info->identity);
		g_string_append_c(s, '}');
		json_str(s, "track_sid", info->track_sid);
		json_str(s, "node_name", info->node_name);
		g_string_append_printf(s, ",\"packets\":%" G_GUINT64_FORMAT ",\"lost\":%" G_GUINT64_FORMAT
				       ",\"late\":%" G_GUINT64_FORMAT ",\"underruns\":%" G_GUINT64_FORMAT
				       ",\"cycles\":%" G_GUINT64_FORMAT ",\"frames\":%" G_GUINT64_FORMAT
				       ",\"mixer_underruns\":%" G_GUINT64_FORMAT ",\"level_ms\":%u,\"target_ms\":%u"
				       ",\"rate\":%.6f,\"latency_p50_ms\":%.1f,\"latency_p95_ms\":%.1f"
				       ",\"nack_requested\":%" G_GUINT64_FORMAT ",\"nack_recovered\":%" G_GUINT64_FORMAT,
				       st->packets, st->lost, st->late, st->underruns, st->cycles, st->frames,
				       st->mixer_underruns, st->level_ms, st->target_ms, st->rate,
				       st->latency_p50_ms, st->latency_p95_ms, st->nack_requested, st->nack_recovered);
	} else {
		s = human_begin("stream_stats");
		g_string_append_c(s, ' ');
		human_text(s, info->identity);
		g_string_append_printf(s, ": %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " lost, %"
				       G_GUINT64_FORMAT " underruns, buffer %u/%u ms, rate %.4f, latency %.0f ms (p95 %.0f)",
				       st->packets, st->lost, st->underruns, st->level_ms, st->target_ms, st->rate,
				       st->latency_p50_ms, st->latency_p95_ms);
		if (st->nack_requested > 0)
			g_string_append_printf(s, ", %" G_GUINT64_FORMAT " asked for again (%" G_GUINT64_FORMAT
					       " came back)", st->nack_requested, st->nack_recovered);
	}
	finish(o, s);
}

/* ------------------------------------------------------------------ the send path */

void join_output_send_stream(const struct join_output *o, const char *node_name, uint32_t node_id)
{
	node_event(o, "send_stream", node_name, node_id);
}

void join_output_published(const struct join_output *o, const char *track_sid)
{
	GString *s;

	if (o->json) {
		s = json_begin(track_sid ? "published" : "unpublished");
		if (track_sid)
			json_str(s, "track_sid", track_sid);
	} else {
		s = human_begin(track_sid ? "published" : "unpublished");
		if (track_sid) {
			g_string_append(s, " microphone ");
			human_text(s, track_sid);
		}
	}
	finish(o, s);
}

void join_output_send_muted(const struct join_output *o, bool muted, bool from_server)
{
	GString *s;

	if (o->json) {
		s = json_begin("send_muted");
		g_string_append_printf(s, ",\"muted\":%s", muted ? "true" : "false");
		json_str(s, "by", from_server ? "server" : "local");
	} else {
		s = human_begin(muted ? "send_muted" : "send_unmuted");
		g_string_append(s, from_server ? " by the server" : " by the send stream");
	}
	finish(o, s);
}
