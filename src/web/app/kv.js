// A small key-value store in IndexedDB that the app and its service worker
// share: a service worker cannot read localStorage. It holds what the worker
// needs with the app closed: the interpreter's token (for receipts) and the UI
// language (for notifications). Every call may reject (storage disabled).
'use strict';
(function (D) {
  const DB = 'dragoman-app';
  const STORE = 'kv';
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE);
        req.onsuccess = () => {
          const db = req.result;
          db.onversionchange = () => { db.close(); opening = null; };
          resolve(db);
        };
        req.onerror = () => { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  D.kv = {
    get: (key) => run('readonly', (s) => s.get(key)),
    // null or undefined removes the key.
    set: (key, value) => run('readwrite', (s) => (value === null || value === undefined ? s.delete(key) : s.put(value, key))),
  };
})(self.Dragoman = self.Dragoman || {});
