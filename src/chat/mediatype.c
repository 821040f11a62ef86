/* mediatype.c — the MIME type of a media object's `format` (an extension or
 * a MIME type), for the types a browser renders inertly (see mediatype.h).
 * Threading: any thread; no state. */
#include "chat/mediatype.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Types served as themselves; aliases map to the canonical name. */
static const char *const mime_ok[][2] = {
	{"image/png", "image/png"},   {"image/jpeg", "image/jpeg"}, {"image/jpg", "image/jpeg"},
	{"image/gif", "image/gif"},   {"image/webp", "image/webp"}, {"audio/mpeg", "audio/mpeg"},
	{"audio/mp3", "audio/mpeg"},  {"audio/ogg", "audio/ogg"},   {"audio/wav", "audio/wav"},
	{"audio/wave", "audio/wav"},  {"audio/x-wav", "audio/wav"}, {"audio/webm", "audio/webm"},
	{"audio/mp4", "audio/mp4"},   {"audio/x-m4a", "audio/mp4"}, {"audio/aac", "audio/aac"},
	{"video/mp4", "video/mp4"},   {"video/webm", "video/webm"}, {"video/ogg", "video/ogg"},
	{"application/pdf", "application/pdf"},
};

/* Known file extensions (the API's `format` may be one, with or without a dot). */
static const char *const ext_ok[][2] = {
	{"png", "image/png"},   {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
	{"webp", "image/webp"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"},   {"oga", "audio/ogg"},
	{"opus", "audio/ogg"},  {"wav", "audio/wav"},  {"weba", "audio/webm"}, {"m4a", "audio/mp4"},
	{"aac", "audio/aac"},   {"mp4", "video/mp4"},  {"webm", "video/webm"}, {"ogv", "video/ogg"},
	{"pdf", "application/pdf"},
};

const char *ch_media_mime(const char *format)
{
	if (!format)
		return NULL;
	while (*format == ' ')
		format++;
	const char *f = format[0] == '.' ? format + 1 : format;
	for (size_t i = 0; i < sizeof ext_ok / sizeof ext_ok[0]; i++)
		if (!strcasecmp(f, ext_ok[i][0]))
			return ext_ok[i][1];
	/* a MIME type, its parameters ignored ("audio/webm;codecs=opus") */
	size_t n = strcspn(format, "; ");
	for (size_t i = 0; i < sizeof mime_ok / sizeof mime_ok[0]; i++)
		if (strlen(mime_ok[i][0]) == n && !strncasecmp(format, mime_ok[i][0], n))
			return mime_ok[i][1];
	return NULL;
}

