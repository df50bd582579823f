/* Names alto gives to graph objects, from untrusted LiveKit strings.
 *
 * Every node of a room session is named under its room mixer's node.name:
 *   room mixer          "alto.<room>"
 *   participant stream  "alto.<room>.<identity>"   (".<track sid>" for a second track)
 *   send stream         "alto-send.<room>"
 * stable across sessions, so that a session manager restores each person's
 * volume (WirePlumber keys it on application.id = node.name). When the
 * graph already has a node "alto.<room>" (the same room joined a second
 * time in one daemon, under another identity), the session takes
 * "alto.<room>@<own identity>" instead and all its names follow:
 * "alto.<room>@<self>.<identity>", "alto-send.<room>@<self>"; a third
 * session of the same identity gets "@<self>-2", and so on. '@' cannot come
 * out of a sanitized string, so a qualified name never equals a plain one.
 *
 * Mixer inputs (the port names in_<input>_<CH>): the identity. Any byte
 * outside [A-Za-z0-9_-] (and '.' and '@' between the parts) becomes '_', so
 * names are safe in pw-link arguments, SPA-JSON and the mixer's input-name
 * rules; long ones are cut (with a hash of the whole, so two long names stay
 * different).
 *
 * Thread: any; pure functions. Returns: 0 or a negative errno. */
#ifndef ALTO_NODE_NAMES_H
#define ALTO_NODE_NAMES_H

#include <stddef.h>

#define ALTO_NAME_MAX		128	/* node names, with the NUL */
#define ALTO_MIXER_NAME_LEN	65	/* longest room mixer name (without the NUL) */
#define ALTO_INPUT_NAME_MAX	48	/* mixer input names, with the NUL (mixer limit: 63 + 1) */
#define ALTO_NAME_CHOICE_MAX	999	/* the last "-<n>" tried */

/* The room mixer's node.name into buf (size >= ALTO_NAME_MAX).
 * choice 0: "alto.<room>"; 1: "alto.<room>@<self>"; n >= 2:
 * "alto.<room>@<self>-<n>". At most ALTO_MIXER_NAME_LEN bytes. -ENOSPC
 * (buf too small), -ERANGE (choice > ALTO_NAME_CHOICE_MAX). */
int alto_name_mixer_node(char *buf, size_t size, const char *room, const char *self,
		unsigned int choice);

/* A participant stream's node.name: "<mixer>.<identity>" (suffix, if not
 * NULL, appended as ".<suffix>"). mixer: a name made by
 * alto_name_mixer_node (-EINVAL when longer). */
int alto_name_participant_node(char *buf, size_t size, const char *mixer, const char *identity,
		const char *suffix);

/* The send stream's node.name that goes with a mixer name: "alto.X" gives
 * "alto-send.X". -EINVAL when mixer is not an "alto." name. */
int alto_name_send_node(char *buf, size_t size, const char *mixer);

/* A mixer input name from the identity (suffix appended as "-<suffix>"). */
int alto_name_mixer_input(char *buf, size_t size, const char *identity, const char *suffix);

/* Appends the sanitized form of text (at most max bytes of output) to buf at
 * *len. Exposed for tests. */
void alto_name_append_sanitized(char *buf, size_t *len, const char *text, size_t max);

#endif
