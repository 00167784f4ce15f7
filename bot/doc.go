// Package bot is the Slack side of licensedesk (SPEC §5): the /licenses
// command grammar and the Desk that runs it (shared with `licensedesk
// exec`), and the Server that speaks to Slack — signed HTTP endpoints and
// Socket Mode, acknowledgements within three seconds, answers through the
// response_url or the Web API, Block Kit views, the approval of pending
// customer requests with buttons, and the weekly report (R-REPORT).
package bot
