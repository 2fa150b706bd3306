/* The words of the domain, shared by every room: modalities, genders, levels,
 * and the states of requests and offers, each with its one wire/Redis spelling. */
#ifndef DRAGOMAN_DOMAIN_H
#define DRAGOMAN_DOMAIN_H

#define DM_ID_MAX 32        /* interpreter, clinic, request and offer ids */
#define DM_LANG_MAX 8       /* ISO 639-1/-3 code, e.g. "ar", "prs" */
#define DM_NAME_MAX 80
#define DM_SPECIALTY_MAX 32
#define DM_LOCATION_MAX 200
#define DM_NOTE_MAX 280
#define DM_REASON_MAX 200
#define DM_COMMENT_MAX 1000
#define DM_TOKEN_MAX 128
#define DM_IDEM_MAX 64
#define DM_CLIENT_ID_MAX 64
#define DM_PEER_MAX 17      /* a call peer: "p" and 16 hex digits */
#define DM_CHAT_MAX 1000    /* one chat message, in characters */

typedef enum { DM_MODALITY_PHONE, DM_MODALITY_VIDEO, DM_MODALITY_ONSITE, DM_MODALITY__COUNT } dm_modality;
typedef enum { DM_GENDER_ANY, DM_GENDER_FEMALE, DM_GENDER_MALE, DM_GENDER__COUNT } dm_gender;
typedef enum { DM_NEED_NONE, DM_NEED_PREFERRED, DM_NEED_REQUIRED } dm_need_strength;
/* Ordered: a higher level is better. */
typedef enum { DM_LEVEL_NONE, DM_LEVEL_VOLUNTEER, DM_LEVEL_TRAINED, DM_LEVEL_CERTIFIED, DM_LEVEL__COUNT } dm_level;
typedef enum { DM_URGENCY_NOW, DM_URGENCY_SCHEDULED } dm_urgency;
/* A guest is a call participant let in by a clinic's one-time link. */
typedef enum { DM_ROLE_NONE, DM_ROLE_CLINIC, DM_ROLE_INTERPRETER, DM_ROLE_COORDINATOR, DM_ROLE_GUEST } dm_role;

typedef enum {
    DM_REQ_SEARCHING,  /* offers may be out; waiting in its language queue */
    DM_REQ_ASSIGNED,   /* an interpreter accepted and is joining */
    DM_REQ_IN_SESSION, /* started */
    DM_REQ_ENDED,      /* a completed session: the service-hour record */
    DM_REQ_CANCELLED,
    DM_REQ_UNFILLED,
    DM_REQ__COUNT
} dm_req_state;

typedef enum {
    DM_OFFER_PENDING,
    DM_OFFER_ACCEPTED,
    DM_OFFER_DECLINED,
    DM_OFFER_EXPIRED,
    DM_OFFER_WITHDRAWN,
    DM_OFFER__COUNT
} dm_offer_state;

/* Spellings; each *_parse returns -1 for an unknown word. */
const char *dm_modality_name(dm_modality m);
int dm_modality_parse(const char *s);
const char *dm_gender_name(dm_gender g);
int dm_gender_parse(const char *s);
const char *dm_need_name(dm_need_strength n);
int dm_need_parse(const char *s);
const char *dm_level_name(dm_level l);
int dm_level_parse(const char *s);
const char *dm_urgency_name(dm_urgency u);
int dm_urgency_parse(const char *s);
const char *dm_role_name(dm_role r);
int dm_role_parse(const char *s);
const char *dm_req_state_name(dm_req_state s);
int dm_req_state_parse(const char *s);
const char *dm_offer_state_name(dm_offer_state s);
int dm_offer_state_parse(const char *s);

#endif
