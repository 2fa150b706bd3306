// The data set every integration test runs against, loaded with --demo. Small
// and fully known: who speaks what at which level decides who gets offered
// first, and the tests rely on that order.
//
// Ranking for an "ar" request without gender: a1 (certified), then a2 and a3
// (trained, a2 first by id), then a4, a5, a6 (volunteer), as long as nobody has
// been assigned yet (the least recently assigned come first among equals).

const ALL = ['phone', 'video', 'onsite'];

function interp(id, name, languages, gender, extra = {}) {
  return { id, name, languages, gender, modalities: ALL, specialties: [], area: 'north', token: `tok-${id}`, ...extra };
}

export const DEMO = {
  clinics: [
    { id: 'c-north', name: 'North Hospital', area: 'north', address: '1 Harbour Road', contact: 'desk', origins: [], token: 'tok-c-north' },
    { id: 'c-east', name: 'East Surgery', area: 'east', address: '2 Market Street', contact: 'desk', origins: [], token: 'tok-c-east' },
    { id: 'c-origin', name: 'Origin Clinic', area: 'centre', address: '3 Park Lane', contact: 'desk',
      origins: ['https://clinic.example'], token: 'tok-c-origin' },
  ],
  interpreters: [
    interp('i-a1', 'Amal', { ar: 'certified' }, 'female'),
    interp('i-a2', 'Bashir', { ar: 'trained' }, 'male'),
    interp('i-a3', 'Carima', { ar: 'trained' }, 'female'),
    interp('i-a4', 'Dalil', { ar: 'volunteer' }, 'male'),
    interp('i-a5', 'Eman', { ar: 'volunteer' }, 'female'),
    interp('i-a6', 'Farid', { ar: 'volunteer' }, 'male'),
    interp('i-f1', 'Farhad', { fa: 'certified' }, 'male'),
    interp('i-p1', 'Paiman', { ps: 'trained' }, 'male'),
    interp('i-r1', 'Rene', { fr: 'certified' }, 'female'),
  ],
  coordinators: [{ id: 'u-coord', name: 'Office', token: 'tok-u-coord' }],
};

// Token of a clinic, interpreter or coordinator id.
export function token(id) {
  return `tok-${id}`;
}

export const NAMES = Object.fromEntries(
  [...DEMO.clinics, ...DEMO.interpreters, ...DEMO.coordinators].map((e) => [e.id, e.name]));

let seq = 0;

// A valid request.create; overrides replace or add fields (undefined removes one).
export function newRequest(overrides = {}) {
  const msg = {
    type: 'request.create', language: 'ar', modality: 'video', urgency: 'now', duration_min: 30,
    idempotency_key: `k-${process.pid}-${Date.now()}-${++seq}`,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete msg[k];
    else msg[k] = v;
  }
  return msg;
}
