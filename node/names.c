/* Graph object names from LiveKit strings. See names.h. */
#include "names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '-';
}

/* FNV-1a: cheap and stable across runs and machines */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void alto_name_append_sanitized(char *buf, size_t *len, const char *text, size_t max)
{
	size_t n = strlen(text ? text : ""), out = 0;

	if (text == NULL || text[0] == '\0') {
		if (max > 0)
			buf[(*len)++] = '_';
		buf[*len] = '\0';
		return;
	}
	if (n <= max) {
		for (size_t i = 0; i < n; i++)
			buf[(*len)++] = keep((unsigned char)text[i]) ? text[i] : '_';
	} else if (max > 9) {
		/* too long: a prefix and a hash of the whole name */
		for (size_t i = 0; i < max - 9; i++)
			buf[(*len)++] = keep((unsigned char)text[i]) ? text[i] : '_';
		out = (size_t)snprintf(buf + *len, 10, "~%08x", hash(text));
		*len += out;
	} else {
		for (size_t i = 0; i < max; i++)
			buf[(*len)++] = keep((unsigned char)text[i]) ? text[i] : '_';
	}
	buf[*len] = '\0';
}

/* Budget of a qualified mixer name: "alto." + room + "@" + self + "-999" is
 * at most ALTO_MIXER_NAME_LEN, like a plain "alto." + room; a participant
 * name adds "." + 40 + "." + 20, which stays below ALTO_NAME_MAX. */
#define ROOM_LEN		60
#define QUALIFIED_ROOM_LEN	39
#define SELF_LEN		16

int alto_name_mixer_node(char *buf, size_t size, const char *room, const char *self,
		unsigned int choice)
{
	size_t len = 0;

	if (buf == NULL || size < ALTO_NAME_MAX)
		return -ENOSPC;
	if (choice > ALTO_NAME_CHOICE_MAX)
		return -ERANGE;
	memcpy(buf, "alto.", 6);
	len = 5;
	if (choice == 0) {
		alto_name_append_sanitized(buf, &len, room, ROOM_LEN);
		return 0;
	}
	alto_name_append_sanitized(buf, &len, room, QUALIFIED_ROOM_LEN);
	buf[len++] = '@';
	alto_name_append_sanitized(buf, &len, self, SELF_LEN);
	if (choice >= 2)
		len += (size_t)snprintf(buf + len, size - len, "-%u", choice);
	return 0;
}

int alto_name_participant_node(char *buf, size_t size, const char *mixer, const char *identity,
		const char *suffix)
{
	size_t len;

	if (buf == NULL || size < ALTO_NAME_MAX)
		return -ENOSPC;
	if (mixer == NULL || (len = strlen(mixer)) > ALTO_MIXER_NAME_LEN)
		return -EINVAL;
	memcpy(buf, mixer, len);
	buf[len++] = '.';
	alto_name_append_sanitized(buf, &len, identity, 40);
	if (suffix) {
		buf[len++] = '.';
		alto_name_append_sanitized(buf, &len, suffix, 20);
	}
	return 0;
}

int alto_name_send_node(char *buf, size_t size, const char *mixer)
{
	if (buf == NULL || size < ALTO_NAME_MAX)
		return -ENOSPC;
	if (mixer == NULL || strncmp(mixer, "alto.", 5) != 0 || strlen(mixer) > ALTO_MIXER_NAME_LEN)
		return -EINVAL;
	snprintf(buf, size, "alto-send.%s", mixer + 5);
	return 0;
}

int alto_name_mixer_input(char *buf, size_t size, const char *identity, const char *suffix)
{
	size_t len = 0;

	if (buf == NULL || size < ALTO_INPUT_NAME_MAX)
		return -ENOSPC;
	alto_name_append_sanitized(buf, &len, identity, 32);
	if (suffix) {
		buf[len++] = '-';
		alto_name_append_sanitized(buf, &len, suffix, 12);
	}
	return 0;
}
