/* Files compiled into the binary by src/proto/embed.sh: the JSON Schemas of
 * proto/schema and the Lua scripts of src/store/lua. Tables end with {NULL, NULL}. */
#ifndef DRAGOMAN_EMBEDDED_H
#define DRAGOMAN_EMBEDDED_H

typedef struct { const char *name; const char *text; } dm_embedded;

extern const dm_embedded dm_schema_sources[];
extern const dm_embedded dm_script_sources[];

#endif
