// Starts the silent sign-in while the console's code downloads: the refresh cookie (httpOnly,
// path /api/auth) buys an access token, and that token the user with their permissions. The app
// picks both promises up at start (src/lib/auth.ts) and removes them from window; the token is
// never stored. Only when this browser signed in before (a hint in localStorage, no secret).
(function () {
  try {
    if (localStorage.getItem('imsop.signedIn') !== '1') return;
    var refresh = fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin' }).then(function (r) {
      return r.json().then(
        function (body) { return { status: r.status, body: body }; },
        function () { return { status: r.status, body: null }; }
      );
    });
    var me = refresh.then(function (x) {
      if (x.status !== 200) return null;
      return fetch('/api/auth/me', { headers: { authorization: 'Bearer ' + x.body.accessToken } }).then(function (r) { return r.ok ? r.json() : null; });
    });
    me.catch(function () {});
    window.__imsopBoot = { refresh: refresh, me: me };
  } catch (e) {}
})();
