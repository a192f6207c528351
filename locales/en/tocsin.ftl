# tocsin — English messages.
# Command usage lines and help texts are not here: in English they are the doc comments of
# the command declarations in src/command/ (other languages translate them as
# cmd-<name>-usage / cmd-<name>-help).

## Announcements of case changes (posted to the team chat)

notice-opened = 🆕 { $case } { $title }
    { $grade } · opened by { $by }
notice-acknowledged = 👀 { $case } { $title } — acknowledged by { $by }
notice-claimed = 🙋 { $case } { $title } — { $by } took it and owns it now
notice-assigned = 👉 { $case } { $title } — { $owner } owns it now (assigned by { $by })
notice-regraded = ⚖️ { $case } { $title } — regraded from { $from } to { $to } by { $by }
notice-resolved = ✅ { $case } { $title } — resolved by { $by }: { $summary }
notice-reopened = ↩️ { $case } { $title } — reopened by { $by }
notice-dismissed = 🚫 { $case } { $title } — dismissed by { $by }: { $reason }
notice-closed = 📁 { $case } { $title } — closed by { $by }
notice-language = 🌐 { $by } set this chat's language to English.

## Words

state-open = open
state-acknowledged = acknowledged
state-responding = responding
state-resolved = resolved
state-closed = closed
state-dismissed = dismissed
role-member = member
role-leader = leader
role-spokesperson = spokesperson
role-observer = observer
nobody = nobody
transition-acknowledge = acknowledged
transition-assign = given an owner
transition-regrade = regraded
transition-resolve = resolved
transition-reopen = reopened
transition-dismiss = dismissed
transition-close = closed

## Refusals and mistakes

refuse-unknown-chat = This chat is not configured for tocsin. Ask a leader to add it to bot.toml: platform { $platform }, chat id { $id }.
refuse-unknown-person = I don't know you yet, so I can't act for you. Ask a leader to add you to bot.toml: platform { $platform }, id { $id }.
refuse-public-outlet = This is a public outlet: tocsin posts published statements here and takes no commands.
refuse-role = Sorry, { $command } needs the { $roles } role.
command-unknown = There is no command /{ $name }. Send /help for the list.
usage = Usage: { $usage }
too-long = That text is too long (at most { $max } characters).
    Usage: { $usage }
span-too-long = That is too long a time: at most { $days } days (for example 30m, 2h or 7d).
    Usage: { $usage }
console-not-utf8 = That line was not UTF-8 text, so it was ignored.
error-internal = Something went wrong on my side; nothing was changed. Please try again, and tell an administrator if it keeps happening.
error-unavailable = The database is not answering right now, so nothing was changed. Please try again in a minute.
hint-commands = Commands start with / — send /help for the list.
case-not-found = There is no case { $case }.
person-unknown = I don't know anyone called "{ $name }". People: { $people }.
person-cannot-own = { $name } cannot own cases: an owner needs the member or leader role.
case-already = Case { $case } is already { $state }.
case-not-while = Case { $case } is { $state }, so it cannot be { $what }.
case-close-unresolved = Case { $case } is { $state }: a case is closed only after it is resolved (/resolve { $number } <summary>).
case-same-grade = Case { $case } is already grade { $grade }.
case-same-owner = Case { $case } is already owned by { $owner }.

## /help

help-header = Commands:
help-footer = Refer to a case as 42 or #42. Send /help <command> for who may use it.
help-anyone = Anyone on the team may use it.
help-needs = Needs the { $roles } role.

## /whoami

whoami = You are { $display } ({ $name }), team { $team }.
    Roles: { $roles }
    Identities: { $identities }
    Language in this chat: { $locale }

## /status and /list

status-empty = Nothing is on the ledger. Open a case with /new <title>.
status-overview = On the ledger: { $count } { $count ->
        [one] case
       *[other] cases
    } ({ $by_grade }).
    Without an owner: { $unowned } · Yours: { $mine }
status-grade-state = { $grade } · { $state }
status-people = Owner: { $owner } · Leader: { $leader }
status-opened = Opened { $time } by { $by } · source { $source }
status-resolution = Resolution: { $summary }
status-dismissal = Dismissed: { $reason }
status-drill = 🧯 DRILL: this is an exercise, not a real event.
status-history = History:
history-line = · { $time } { $actor } ({ $platform }): { $what }
event-opened = opened it at grade { $grade }
event-acknowledged = acknowledged it
event-claimed = took it
event-assigned = made { $owner } the owner
event-regraded = regraded it { $from } → { $to }
event-resolved = resolved it: { $summary }
event-reopened = reopened it
event-dismissed = dismissed it: { $reason }
event-closed = closed it
event-language = set the chat language to { $locale }
case-line = { $case } { $emoji } { $grade } · { $state } · { $owner } · { $title }
list-empty = No cases here.
list-header-open = Cases on the ledger (newest first):
list-header-mine = Your cases on the ledger (newest first):
list-header-all = All cases (newest first):
list-more = Showing the newest { $limit }; narrow with /list mine or /status <case>.

## Case cards and delivery

card-source = Source: { $source }
button-ack = 👀 Acknowledge
button-claim = 🙋 Claim
card-similar = 🔗 Possibly the same as { $case }: { $shared }
button-merge = 🔗 Merge into { $case }
notice-similar = 🔗 Possibly the same as { $case }: { $shared } (a leader can merge them: { $command })
notice-delivery-failed = ⚠️ I could not deliver a message to chat "{ $chat }" and will not retry: { $reason }
notice-robot-refused = ⚠️ The { $platform } robot of chat "{ $chat }" refuses our messages: { $reason }. Refused messages are not retried: check its security setting, or whether it was removed (README, "Group robots").
digest-header = 📋 { $count } updates at once — collected into one message:
card-last = { $by }: { $what }

## Intake

notice-alert-resolved = 🟢 { $case } { $title } — { $source } says the alert is resolved: { $alert }
event-signal = another report, from { $source } (graded { $grade })
# A signal's authenticated source, with the name its sender gave (a label, not trusted).
source-labelled = { $source } (labelled “{ $label }”)
event-noted = noted: { $text }
status-sources = Sources ({ $count }): { $sources }
status-why = Graded: { $parts } → { $grade }
why-category = { $name } ×{ $count } ({ $terms })
why-attention = attention { $value }
why-weight = source weight { $value }
why-sources = { $count } { $count ->
        [one] source
       *[other] sources
    } in { $window }
why-hours = { $n } h
why-minutes = { $n } min

## Clocks, duty and watch

clock-ack = acknowledge
clock-respond = first response
clock-resolve = resolve
reminder-nobody = nobody yet
notice-reminder = ⏰ { $case } { $title }: { $percent }% of the { $clock } time is used; due { $deadline }. Owner: { $owner }
notice-breached = ⛔ { $case } { $title } missed its { $clock } deadline ({ $deadline }). Owner: { $owner }; leader: { $leader }
notice-escalated = 🚨 { $case } { $title } (team { $team }) is well past its { $clock } deadline ({ $deadline }).
notice-late = (Sent late: this was due { $due }, while tocsin was not running.)
notice-extended = ⏳ { $case } { $title }: { $by } moved the { $clock } deadline to { $deadline }: { $reason }
notice-duty-assigned = 🛎️ { $case } { $title }: { $person } is on duty and now owns it.
notice-duty-mention = 🛎️ { $case } { $title }: { $person }, you are on duty.
notice-watch-on = 🚩 Heightened watch is on ({ $by }): { $reason }. Clocks are shorter and duty is round the clock until /watch off.
notice-watch-until = 🚩 Heightened watch is on until { $until } ({ $by }): { $reason }. Clocks are shorter and duty is round the clock.
notice-watch-off = 🏳️ Heightened watch is off ({ $by }). Clocks are back to normal.
notice-duty-swapped = 🔁 { $person } takes the duty shift of { $date } ({ $by }).
event-clock-extended = gave the { $clock } clock { $extra } more: { $reason }
event-clock-breached = the { $clock } clock ran out
duty-none = This team has no duty roster (see [teams.duty] in bot.toml).
duty-now = On duty now: { $person }, until { $until } ({ $tz }).
duty-nobody-now = Nobody is on duty right now (outside duty hours).
duty-next = Next: { $person }, from { $from } ({ $tz }).
duty-watch = Heightened watch is on: duty is round the clock.
watch-not-on = Heightened watch is not on.
due-stopped = The { $clock } clock of { $case } has already stopped.
report-head = 📋 Report for { $team }: { $from } – { $to }
report-new = New cases ({ $count }):
report-open = Open cases by grade ({ $count }):
report-overdue = Overdue clocks ({ $count }):
report-breaches = Deadlines missed ({ $count }):
report-none = none
report-more = … and { $count } more
report-grade = { $grade } ({ $count }):
report-case = { $emoji } { $case } { $title } · { $state } · owner: { $owner }
report-overdue-line = { $case } { $title }: { $clock } was due { $deadline }, overdue by { $by } · owner: { $owner }
report-breach-line = { $case } { $title }: { $clock } deadline { $deadline } missed · owner: { $owner }
report-drill = [drill]
report-col-case = Case
report-col-grade = Grade
report-col-state = State
report-col-owner = Owner
report-col-title = Title
report-col-clock = Clock
report-col-deadline = Deadline
card-clock-left = { $clock }: { $left } left
card-clock-overdue = { $clock }: overdue by { $by }
event-draft-written = wrote draft { $draft } version { $version }
event-draft-approved = approved draft { $draft } version { $version }
event-draft-rejected = rejected draft { $draft } version { $version }: { $reason }
event-concern-raised = raised a concern about draft { $draft }: { $text }
event-concern-withdrawn = withdrew their concern about draft { $draft }
event-statement-published = published draft { $draft } version { $version }
page-default-title = Status updates
page-intro = Official statements of the response team. Only statements the team has published appear here.
page-current = In progress
page-resolved = Recently resolved or closed
page-none-current = Nothing is in progress at the moment.
page-status-none = Statement
page-status-investigating = Investigating
page-status-identified = Identified
page-status-monitoring = Monitoring
page-status-resolved = Resolved
page-status-closed = Closed
page-case = Case { $case }
page-updated = Last update: { $time }
page-published = Published { $time }
page-timeline = { $count ->
    [one] One statement, newest first
   *[other] { $count } statements, newest first
}
page-back = ← All statements
page-feed = Atom feed
page-case-feed = Atom feed of this case
page-case-feed-title = { $title }: { $headline }
page-entry-title = { $status }: { $line }
page-switch-language = 中文
page-times-utc = All times are in UTC.
page-date-format = %-d %b %Y, %H:%M UTC
page-not-found-title = Not found
page-not-found = There is no public statement at this address.
page-error = The statements cannot be shown right now. Please try again in a moment.
draft-not-found = There is no draft { $draft }. Drafts are named by case and number, like 12.1.
draft-own = You wrote this version of draft { $draft }: another leader must approve it.
draft-voted = You have already approved or rejected version { $version } of draft { $draft }.
draft-published = Draft { $draft } is already published.
draft-superseded = Version { $version } of draft { $draft } was replaced by version { $latest }, which needs approving on its own.
draft-rejected = Version { $version } of draft { $draft } was rejected by { $by }; write a new version with /redraft.
draft-held = Draft { $draft } is held by a concern from { $people }: it cannot be approved or published until they /withdraw it.
draft-approved-already = Draft { $draft } is already approved; a spokesperson can /publish it.
draft-not-approved = Version { $version } of draft { $draft } is not approved: { $have } of { $needed } leaders so far.
concern-none = You have no standing concern about draft { $draft }.
publish-no-outlets = This team has no public outlets to publish to (public_outlets in bot.toml).
draft-case-closed = Case { $case } is { $state }: it takes no more drafts.
draft-line-published = Draft { $draft } (version { $version }): published
draft-line-rejected = Draft { $draft } (version { $version }): rejected
draft-line-held = Draft { $draft } (version { $version }): held by a concern
draft-line-approved = Draft { $draft } (version { $version }): approved, not yet published
draft-line-waiting = Draft { $draft } (version { $version }): { $have } of { $needed } approvals
status-drafts = Drafts:
draft-card-reply = Reply
draft-card-update = Update ({ $status })
draft-card-head = 📝 { $kind } { $draft } · version { $version } · { $case } { $title }
draft-card-author = Written by { $author }
draft-card-waiting-none = Needs { $needed } { $needed ->
    [one] leader's approval
   *[other] leaders' approvals
  }; none yet.
draft-card-waiting = Approved by { $people }: { $have } of { $needed }.
draft-card-approved = ✅ Approved by { $people }. A spokesperson can /publish { $draft }.
draft-card-held = ✋ Held: { $concerns }
draft-card-rejected = ❌ Rejected by { $by }: { $reason }
draft-card-published = 📣 Published { $time }.
draft-card-last-rejected = rejected it
draft-rejected-on-card = with the Reject button, no reason given
draft-card-last-concern = raised a concern
button-approve = ✅ Approve
button-reject = ❌ Reject
notice-draft-changed = Draft { $draft } changed.
notice-published = 📣 { $case } { $title }: { $by } published draft { $draft } to { $outlets }.
notice-published-drill = 📣 { $case } { $title }: { $by } published draft { $draft } — a drill: it went to no public outlet.
report-published = Published ({ $count }):
report-pending = Drafts awaiting approval ({ $count }):
report-published-line = { $case } { $title }: draft { $draft } published { $time } by { $by }
report-pending-line = { $case } { $title }: draft { $draft }, { $have } of { $needed } approvals
report-pending-held = { $case } { $title }: draft { $draft }, held by a concern
report-col-draft = Draft
report-col-time = Time
report-col-by = By

## Discord: descriptions of the application commands' options
discord-done = Done. The channel has been told.
discord-option-case = The case number, e.g. 12
discord-option-draft = The draft, e.g. 12.1
discord-option-text = The text
discord-option-reason = Why
discord-option-summary = A short summary
discord-option-title = What happened, in a few words
discord-option-grade = The grade: I is the most severe
discord-option-person = A person on the team
discord-option-name = A person's name in bot.toml (instead of choosing a user)
discord-option-duration = How long, e.g. 30m, 2h, 1d
discord-option-clock = Which clock
discord-option-date = The day, as YYYY-MM-DD
discord-option-scope = Which cases
discord-option-period = Which period
discord-option-language = The language for this chat
discord-option-status = The stage of the response
discord-option-action = What to do
discord-option-command = A command to explain

## Alerts (Alertmanager, Grafana)

notice-alerts-changed = 🔔 { $case } { $title } — { $changes } · { $firing } of { $total } alerts firing ({ $source })
notice-alert-refired = 🔁 { $case } { $title } — reopened: firing again at { $source }: { $alerts }
event-alerts-changed = { $changes } ({ $firing } of { $total } firing)
event-alert-refired = reopened it: firing again: { $alerts }
event-alert-fired = alert firing: { $name } (graded { $grade })
alerts-fired = firing: { $names }
alerts-resolved = resolved: { $names }
card-alerts = Alerts: { $firing } of { $total } firing
card-alert-firing = 🔴 { $name }
card-alert-resolved = 🟢 { $name } (resolved)
card-alerts-more = … and { $count } more
why-severity = { $label }={ $value } at the source: at least { $grade }

## Drills

drill-mark = 🧯 [DRILL]
notice-drill-started = 🧯 DRILL #{ $drill } started by { $by }: { $title } · { $injects } injects at { $speed }× · everything marked DRILL is an exercise; nothing is published.
notice-drill-stopped = 🧯 DRILL #{ $drill } stopped by { $by } · { $ended } open drill cases ended. /drill report for the after-action report.
drill-unknown = There is no drill scenario "{ $name }" in drills/ (there are: { $known }).
drill-already = Drill #{ $drill } ({ $scenario }) is still running in this team: /drill stop first.
drill-none = No drill is running in this team.
drill-status = 🧯 DRILL #{ $drill } ({ $scenario }) at { $speed }× · { $elapsed } of scenario time · { $sent } of { $injects } injects sent · { $open } drill cases open
drill-report-none = This team has not run that drill.
drill-report-head = 🧯 DRILL #{ $drill } ({ $scenario }) at { $speed }× — after-action report · score { $score }/100
drill-report-case = { $case } { $title }: acknowledged { $ack } · owner { $owner } · statement approved { $approved } · published { $published } · resolved { $resolved }
drill-report-missed =   ✗ missed: { $what } within { $limit }
drill-report-ended =   ended by the end of the drill
drill-report-no-cases = No drill case was opened.
drill-report-timeline = Timeline (scenario time):
drill-report-never = never
drill-expect-acknowledge = acknowledge
drill-expect-first-statement = first statement
drill-expect-resolve = resolve
discord-option-scenario = A scenario in drills/ (or, for report, a drill number)
discord-option-speed = How many times faster than real time, e.g. 10 or 60

## Merging and splitting cases (/merge, /split)

transition-merge = merged
transition-split = split
notice-merged-from = 🔗 { $case } { $title } — { $by } merged { $from } ({ $from_title }) into it: { $signals } { $signals ->
    [one] signal
   *[other] signals
} moved over; grade { $grade }
notice-merged-into = 🔗 { $case } { $title } — merged into { $into } by { $by }
notice-merged-into-withdrawn = 🔗 { $case } { $title } — merged into { $into } by { $by }; drafts withdrawn: { $drafts }
notice-split-out = ✂️ { $case } { $title } — { $by } moved signal { $signal } out into a new case, { $into }
event-merged-from = merged { $from } into it ({ $signals } { $signals ->
    [one] signal
   *[other] signals
}; grade { $grade })
event-merged-into = merged it into { $into }
event-split-out = moved signal { $signal } out into { $into }
event-split-from = opened it at grade { $grade } from signal { $signal } of { $case }
event-draft-withdrawn = withdrew draft { $draft }: its case was merged into { $into }
status-merged = 🔗 Merged into { $into }: its signals, grade and clocks are there now.
status-signals = Signals (/split <case> <signal> moves one out):
status-signal = · { $signal } · { $source } · { $title }
status-signals-more = · … and { $count } earlier
case-merged = Case { $case } was merged into { $into }; work on { $into } instead.
merge-self = A case cannot be merged into itself ({ $case }).
merge-off-ledger = Case { $case } is { $state }: only cases still on the ledger can be merged or split.
merge-other-team = { $from } belongs to { $team } and { $into } to { $other }: cases of different teams are not merged.
merge-drill = One of { $from } and { $into } is a drill case and the other is real: they are never merged.
split-no-signal = Case { $case } has no signal { $signal }. Its signals: { $signals }.
split-last-signal = Signal { $signal } is the last signal of { $case }: a case keeps at least one.
split-title = Signal { $signal } of { $case }
draft-line-withdrawn = Draft { $draft } (version { $version }): withdrawn, its case was merged into { $into }
draft-card-withdrawn = 🔗 Withdrawn: its case was merged into { $into }.
discord-option-into = The case that takes the other in
discord-option-signal = The signal's number, as /status shows it
