// probe asks by opening http://probe-reset.invalid/ (a host that does not exist): the
// HTTP cache is emptied, then the request cancelled, so that the page's error says it
// was done (NS_ERROR_ABORT). Playwright cannot reach a moz-extension:// page over
// WebDriver BiDi reliably; a request it can make.
browser.webRequest.onBeforeRequest.addListener(
  async () => {
    await browser.browsingData.removeCache({});
    return { cancel: true };
  },
  { urls: ["*://probe-reset.invalid/*"] },
  ["blocking"]
);
