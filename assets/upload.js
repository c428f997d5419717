// "Import reports": the dropped files go to POST /upload as multipart form data (its own
// size limit, checked before the body is read; serving/uploads.py), with the page's
// cross-site token. The answer ({job, files} or {error}) goes to a store that a server
// callback follows.
function csrfToken() {
  var found = document.cookie.split("; ").filter(function (c) {
    return c.indexOf("_csrf_token=") === 0;
  })[0];
  return found ? decodeURIComponent(found.slice("_csrf_token=".length)) : "";
}

// A dcc.Upload "data:...;base64,..." content as a Blob (decoded here: the page's CSP lets
// it fetch nothing but this site, so no fetch of a data: URL).
function blobOf(content) {
  var comma = content.indexOf(",");
  var binary = atob(content.slice(comma + 1));
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
  return new Blob([bytes]);
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  imports: {
    upload: function (contents, names, seller) {
      if (!contents || !contents.length) { return window.dash_clientside.no_update; }
      var form = new FormData();
      form.append("seller", seller || "");
      return Promise.resolve().then(function () {
        contents.forEach(function (c, i) {
          form.append("files", blobOf(c || ""), (names && names[i]) || ("file-" + (i + 1)));
        });
        return fetch("/upload", {
          method: "POST", body: form, credentials: "same-origin",
          headers: {"X-CSRFToken": csrfToken()},
        });
      }).then(function (r) {
        return r.text().then(function (text) {
          try { return JSON.parse(text); } catch (e) { return {error: text.trim() || ("HTTP " + r.status)}; }
        });
      }).catch(function (e) {
        return {error: "The upload did not reach the server (" + e + "); try again."};
      });
    },
  },
});
