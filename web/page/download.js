// Files the page hands to the browser to save (CSV, PNG), named with the local time.

const pad = (n) => String(n).padStart(2, "0");

/// The local time as a file name's part: 20261130-014502.
export function stamp(date = new Date()) {
  return date.getFullYear() + pad(date.getMonth() + 1) + pad(date.getDate()) + "-" + pad(date.getHours()) + pad(date.getMinutes()) + pad(date.getSeconds());
}

/// Saves `href` (a blob: or data: URL, or the bridge's export) as `name`.
export function download(name, href) {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
}
