# tocsin — 简体中文消息。

## 案件变更通知（发到团队群）

notice-opened = 🆕 { $case } { $title }
    { $grade } · 由 { $by } 立案
notice-acknowledged = 👀 { $case } { $title } — { $by } 已确认
notice-claimed = 🙋 { $case } { $title } — { $by } 已认领，现为负责人
notice-assigned = 👉 { $case } { $title } — 负责人改为 { $owner }（由 { $by } 指派）
notice-regraded = ⚖️ { $case } { $title } — { $by } 将等级由 { $from } 调整为 { $to }
notice-resolved = ✅ { $case } { $title } — { $by } 已处置：{ $summary }
notice-reopened = ↩️ { $case } { $title } — { $by } 重新打开
notice-dismissed = 🚫 { $case } { $title } — { $by } 已撤销：{ $reason }
notice-closed = 📁 { $case } { $title } — { $by } 已结案
notice-language = 🌐 { $by } 已将本群语言设为简体中文。

## 词语

state-open = 待确认
state-acknowledged = 已确认
state-responding = 处置中
state-resolved = 已处置
state-closed = 已结案
state-dismissed = 已撤销
role-member = 成员
role-leader = 负责领导
role-spokesperson = 新闻发言人
role-observer = 观察员
nobody = 无
transition-acknowledge = 确认
transition-assign = 指定负责人
transition-regrade = 调整等级
transition-resolve = 处置
transition-reopen = 重新打开
transition-dismiss = 撤销
transition-close = 结案

## 拒绝与错误

refuse-unknown-chat = 本群尚未在 tocsin 中配置。请负责领导将其加入 bot.toml：平台 { $platform }，群 ID { $id }。
refuse-unknown-person = 我还不认识您，无法代您操作。请负责领导将您加入 bot.toml：平台 { $platform }，ID { $id }。
refuse-public-outlet = 这是对外发布渠道：tocsin 只在此发布已批准的声明，不在此处理命令。
refuse-role = 抱歉，{ $command } 需要「{ $roles }」角色。
command-unknown = 没有 /{ $name } 这个命令。发送 /help 查看命令列表。
usage = 用法：{ $usage }
too-long = 文字太长（最多 { $max } 个字符）。
    用法：{ $usage }
span-too-long = 时间太长：最多 { $days } 天（例如 30m、2h 或 7d）。
    用法：{ $usage }
console-not-utf8 = 该行不是 UTF-8 文本，已忽略。
error-internal = 系统内部出错，未做任何更改。请重试；如果反复出现，请告知管理员。
error-unavailable = 数据库暂时没有响应，未做任何更改。请稍后一分钟再试。
hint-commands = 命令以 / 开头——发送 /help 查看命令列表。
case-not-found = 不存在案件 { $case }。
person-unknown = 找不到名为「{ $name }」的人。可选：{ $people }。
person-cannot-own = { $name } 不能担任负责人：负责人需要「成员」或「负责领导」角色。
case-already = 案件 { $case } 已经是「{ $state }」状态。
case-not-while = 案件 { $case } 处于「{ $state }」状态，不能{ $what }。
case-close-unresolved = 案件 { $case } 处于「{ $state }」状态：案件须先处置才能结案（/resolve { $number } <处置说明>）。
case-same-grade = 案件 { $case } 已经是 { $grade } 级。
case-same-owner = 案件 { $case } 的负责人已经是 { $owner }。

## /help

help-header = 命令：
help-footer = 案件编号可写作 42 或 #42。发送 /help <命令> 查看谁可以使用。
help-anyone = 团队中任何人都可以使用。
help-needs = 需要「{ $roles }」角色。

## /whoami

whoami = 您是 { $display }（{ $name }），所属团队 { $team }。
    角色：{ $roles }
    身份：{ $identities }
    本群语言：{ $locale }

## /status 与 /list

status-empty = 台账上没有案件。用 /new <标题> 立案。
status-overview = 台账上共有 { $count } 个案件（{ $by_grade }）。
    无负责人：{ $unowned } · 您负责的：{ $mine }
status-grade-state = { $grade } · { $state }
status-people = 负责人：{ $owner } · 负责领导：{ $leader }
status-opened = { $time } 由 { $by } 立案 · 来源 { $source }
status-resolution = 处置结果：{ $summary }
status-dismissal = 撤销原因：{ $reason }
status-drill = 🧯 演练：这是演习，不是真实事件。
status-history = 记录：
history-line = · { $time } { $actor }（{ $platform }）：{ $what }
event-opened = 立案，等级 { $grade }
event-acknowledged = 确认
event-claimed = 认领
event-assigned = 指派 { $owner } 为负责人
event-regraded = 调整等级 { $from } → { $to }
event-resolved = 处置：{ $summary }
event-reopened = 重新打开
event-dismissed = 撤销：{ $reason }
event-closed = 结案
event-language = 将本群语言设为 { $locale }
case-line = { $case } { $emoji } { $grade } · { $state } · { $owner } · { $title }
list-empty = 没有案件。
list-header-open = 台账上的案件（最新在前）：
list-header-mine = 您负责的案件（最新在前）：
list-header-all = 全部案件（最新在前）：
list-more = 仅显示最新的 { $limit } 个；可用 /list mine 或 /status <案件> 缩小范围。

## 命令用法与说明（英文版来自 src/command/ 中的文档注释）

cmd-help-usage = /help [命令]
cmd-help-help = 列出所有命令，或说明某个命令。
cmd-whoami-usage = /whoami
cmd-whoami-help = 显示 tocsin 认为您是谁、您能做什么。
cmd-status-usage = /status [案件]
cmd-status-help = 显示一个案件及其记录，或未结案件概况。
cmd-list-usage = /list [open|mine|all]
cmd-list-help = 列出案件：open（默认）为所有未结案、未撤销的案件。
cmd-new-usage = /new [I|II|III|IV] <标题> [| 摘要]
cmd-new-help = 在本团队立案。可在最前面写等级（I 级最严重）；| 之后为摘要。
cmd-ack-usage = /ack <案件>
cmd-ack-help = 确认案件：团队已看到。
cmd-claim-usage = /claim <案件>
cmd-claim-help = 认领案件：您成为负责人。
cmd-assign-usage = /assign <案件> <人员>
cmd-assign-help = 指定案件负责人。
cmd-grade-usage = /grade <案件> <I|II|III|IV>
cmd-grade-help = 调整案件等级。
cmd-resolve-usage = /resolve <案件> <处置说明>
cmd-resolve-help = 将案件标记为已处置，并说明如何处置。
cmd-reopen-usage = /reopen <案件>
cmd-reopen-help = 重新打开已处置、已结案或已撤销的案件。
cmd-dismiss-usage = /dismiss <案件> <原因>
cmd-dismiss-help = 判定案件无需响应；原因记录在案。
cmd-close-usage = /close <案件>
cmd-close-help = 将已处置的案件移出台账（结案）。
cmd-lang-usage = /lang <en|zh-CN>
cmd-lang-help = 更改 tocsin 在本群使用的语言。
cmd-due-usage = /due <案件> <ack|respond|resolve> <时长> <理由>
cmd-due-help = 延长某案件的时限（时长如 30m、2h、1d），并说明理由。
cmd-duty-usage = /duty [swap <人员> <YYYY-MM-DD>]
cmd-duty-help = 查看当前和下一班值班人；领导可将某一班（按开始日期）交给他人。
cmd-watch-usage = /watch on <理由> [for <时长>] | /watch off
cmd-watch-help = 加强值守：缩短时限、全天候值班，直到关闭或到期。
cmd-report-usage = /report [today|week]
cmd-report-help = 领导报告：新案件、按等级列出的未结案件及负责人、已超时的时限和错过的期限。

## 案件卡片与投递

card-source = 来源：{ $source }
button-ack = 👀 确认
button-claim = 🙋 认领
card-similar = 🔗 可能与 { $case } 是同一事件：{ $shared }
button-merge = 🔗 并入 { $case }
notice-similar = 🔗 可能与 { $case } 是同一事件：{ $shared }（负责人可合并：{ $command }）
notice-delivery-failed = ⚠️ 无法向「{ $chat }」群投递消息，不再重试：{ $reason }
notice-robot-refused = ⚠️ 「{ $chat }」群的{ $platform }机器人拒收我们的消息：{ $reason }。被拒的消息不会重试：请检查机器人的安全设置，或它是否已被移除（见 README「Group robots」）。
digest-header = 📋 同时有 { $count } 条动态，合并为一条消息：
card-last = { $by }：{ $what }

## 信号接入

notice-alert-resolved = 🟢 { $case } { $title } — { $source } 报告告警已恢复：{ $alert }
event-signal = 又一条报道，来自 { $source }（评为 { $grade } 级）
# 信号经认证的来源，以及发送方自己给出的名称（仅作标注，不作为信任依据）。
source-labelled = { $source }（标注为“{ $label }”）
event-noted = 记录：{ $text }
status-sources = 来源（{ $count }）：{ $sources }
status-why = 评级依据：{ $parts } → { $grade } 级
why-category = { $name } ×{ $count }（{ $terms }）
why-attention = 关注度 { $value }
why-weight = 来源权重 { $value }
why-sources = { $window }内 { $count } 个来源
why-hours = { $n } 小时
why-minutes = { $n } 分钟

## Clocks, duty and watch

clock-ack = 确认
clock-respond = 首次回应
clock-resolve = 处置完毕
reminder-nobody = 暂无
notice-reminder = ⏰ { $case } { $title }：{ $clock }时限已用去 { $percent }%，截止 { $deadline }。负责人：{ $owner }
notice-breached = ⛔ { $case } { $title } 已超过{ $clock }时限（{ $deadline }）。负责人：{ $owner }；牵头领导：{ $leader }
notice-escalated = 🚨 { $case } { $title }（{ $team }）已远超{ $clock }时限（{ $deadline }）。
notice-late = （迟发：原定于 { $due }，当时 tocsin 未运行。）
notice-extended = ⏳ { $case } { $title }：{ $by } 将{ $clock }时限延至 { $deadline }：{ $reason }
notice-duty-assigned = 🛎️ { $case } { $title }：值班人 { $person } 已成为负责人。
notice-duty-mention = 🛎️ { $case } { $title }：{ $person }，你正在值班。
notice-watch-on = 🚩 已进入加强值守（{ $by }）：{ $reason }。各项时限缩短，全天候值班，直至 /watch off。
notice-watch-until = 🚩 加强值守至 { $until }（{ $by }）：{ $reason }。各项时限缩短，全天候值班。
notice-watch-off = 🏳️ 加强值守已结束（{ $by }），时限恢复正常。
notice-duty-swapped = 🔁 { $person } 接替 { $date } 的值班（{ $by }）。
event-clock-extended = 将{ $clock }时限延长 { $extra }：{ $reason }
event-clock-breached = { $clock }时限已过
duty-none = 本组未设值班表（见 bot.toml 的 [teams.duty]）。
duty-now = 当前值班：{ $person }，至 { $until }（{ $tz }）。
duty-nobody-now = 当前无人值班（不在值班时段）。
duty-next = 下一班：{ $person }，自 { $from }（{ $tz }）。
duty-watch = 正在加强值守：全天候值班。
watch-not-on = 当前未处于加强值守。
due-stopped = { $case } 的{ $clock }时限已经停止。
report-head = 📋 { $team } 报告：{ $from } – { $to }
report-new = 新案件（{ $count }）：
report-open = 按等级列出的未结案件（{ $count }）：
report-overdue = 已超时的时限（{ $count }）：
report-breaches = 错过的期限（{ $count }）：
report-none = 无
report-more = ……另有 { $count } 项
report-grade = { $grade }（{ $count }）：
report-case = { $emoji } { $case } { $title } · { $state } · 负责人：{ $owner }
report-overdue-line = { $case } { $title }：{ $clock }时限为 { $deadline }，已超时 { $by } · 负责人：{ $owner }
report-breach-line = { $case } { $title }：错过了 { $deadline } 的{ $clock }时限 · 负责人：{ $owner }
report-drill = [演练]
report-col-case = 案件
report-col-grade = 等级
report-col-state = 状态
report-col-owner = 负责人
report-col-title = 标题
report-col-clock = 时限
report-col-deadline = 期限
card-clock-left = { $clock }：剩余 { $left }
card-clock-overdue = { $clock }：已超时 { $by }
event-draft-written = 撰写了草稿 { $draft } 第 { $version } 版
event-draft-approved = 批准了草稿 { $draft } 第 { $version } 版
event-draft-rejected = 驳回了草稿 { $draft } 第 { $version } 版：{ $reason }
event-concern-raised = 对草稿 { $draft } 提出了异议：{ $text }
event-concern-withdrawn = 撤回了对草稿 { $draft } 的异议
event-statement-published = 发布了草稿 { $draft } 第 { $version } 版
page-default-title = 情况通报
page-intro = 应急团队发布的官方通报。这里只显示团队已正式发布的内容。
page-current = 处置中
page-resolved = 近期已解决或已结束
page-none-current = 目前没有正在处置的事件。
page-status-none = 通报
page-status-investigating = 调查中
page-status-identified = 已查明原因
page-status-monitoring = 持续监测
page-status-resolved = 已解决
page-status-closed = 已结束
page-case = 事件 { $case }
page-updated = 最近更新：{ $time }
page-published = 发布于 { $time }
page-timeline = 共 { $count } 条通报，最新的在前
page-back = ← 全部通报
page-feed = Atom 订阅
page-case-feed = 订阅本事件（Atom）
page-case-feed-title = { $title }：{ $headline }
page-entry-title = { $status }：{ $line }
page-switch-language = English
page-times-utc = 所有时间均为协调世界时（UTC）。
page-date-format = %Y年%-m月%-d日 %H:%M（UTC）
page-not-found-title = 未找到
page-not-found = 此地址没有公开通报。
page-error = 暂时无法显示通报，请稍后再试。
draft-not-found = 没有草稿 { $draft }。草稿以案件号和序号命名，例如 12.1。
draft-own = 草稿 { $draft } 的这一版是你写的：须由另一位领导批准。
draft-voted = 你已经批准或驳回过草稿 { $draft } 的第 { $version } 版。
draft-published = 草稿 { $draft } 已经发布。
draft-superseded = 草稿 { $draft } 的第 { $version } 版已被第 { $latest } 版取代，新版须重新批准。
draft-rejected = 草稿 { $draft } 的第 { $version } 版已被 { $by } 驳回；请用 /redraft 写新版本。
draft-held = 草稿 { $draft } 因 { $people } 的异议而暂停：在其 /withdraw 撤回之前不能批准或发布。
draft-approved-already = 草稿 { $draft } 已获批准；发言人可以 /publish 发布。
draft-not-approved = 草稿 { $draft } 的第 { $version } 版尚未获批：目前 { $have }/{ $needed } 位领导批准。
concern-none = 你对草稿 { $draft } 没有未撤回的异议。
publish-no-outlets = 本团队没有可发布的公开渠道（见 bot.toml 中的 public_outlets）。
draft-case-closed = 案件 { $case } 状态为{ $state }：不再接受草稿。
draft-line-published = 草稿 { $draft }（第 { $version } 版）：已发布
draft-line-rejected = 草稿 { $draft }（第 { $version } 版）：已驳回
draft-line-held = 草稿 { $draft }（第 { $version } 版）：因异议暂停
draft-line-approved = 草稿 { $draft }（第 { $version } 版）：已批准，尚未发布
draft-line-waiting = 草稿 { $draft }（第 { $version } 版）：{ $have }/{ $needed } 位领导已批准
status-drafts = 草稿：
draft-card-reply = 回应
draft-card-update = 进展通报（{ $status }）
draft-card-head = 📝 { $kind } { $draft } · 第 { $version } 版 · { $case } { $title }
draft-card-author = 撰写人：{ $author }
draft-card-waiting-none = 需要 { $needed } 位领导批准；尚无人批准。
draft-card-waiting = 已批准：{ $people }（{ $have }/{ $needed }）。
draft-card-approved = ✅ 已由 { $people } 批准。发言人可以 /publish { $draft } 发布。
draft-card-held = ✋ 暂停：{ $concerns }
draft-card-rejected = ❌ 已被 { $by } 驳回：{ $reason }
draft-card-published = 📣 已于 { $time } 发布。
draft-rejected-on-card = 通过“驳回”按钮，未说明理由
draft-card-last-rejected = 驳回了它
draft-card-last-concern = 提出了异议
button-approve = ✅ 批准
button-reject = ❌ 驳回
notice-draft-changed = 草稿 { $draft } 有变动。
notice-published = 📣 { $case } { $title }：{ $by } 已将草稿 { $draft } 发布到 { $outlets }。
notice-published-drill = 📣 { $case } { $title }：{ $by } 已发布草稿 { $draft } — 这是演练，未发往任何对外渠道。
cmd-draft-usage = /draft <案件> <内容>
cmd-draft-help = 为某案件撰写对外回应；须经领导批准后才能发布。
cmd-redraft-usage = /redraft <草稿> <内容>
cmd-redraft-help = 为草稿（如 12.1）写新版本；新版本须重新批准。
cmd-approve-usage = /approve <草稿>
cmd-approve-help = 批准草稿的最新版本（如 12.1，或指定版本 12.1v2）；不能批准自己写的。
cmd-reject-usage = /reject <草稿> <理由>
cmd-reject-help = 驳回草稿的最新版本并说明理由；可以重写。
cmd-concern-usage = /concern <草稿> <内容>
cmd-concern-help = 对草稿提出异议：在你撤回之前它不能被批准或发布。
cmd-withdraw-usage = /withdraw <草稿>
cmd-withdraw-help = 撤回你对某草稿的异议。
cmd-publish-usage = /publish <草稿>
cmd-publish-help = 将已批准的最新版本同时发布到本团队的所有公开渠道。
cmd-update-usage = /update <案件> <investigating|identified|monitoring|resolved> <内容>
cmd-update-help = 对外进展通报；除非 bot.toml 预先批准，否则与回应一样须经批准。
cmd-drill-usage = /drill <start <场景> [速度]|status|stop|report [演练编号]>
cmd-drill-help = 用 drills/ 中的场景进行演练：注入经由真实接收流程，按倍速进行（60 = 一分钟一小时）；可查看进度、结束演练或获取复盘报告。
report-published = 已发布（{ $count }）：
report-pending = 待批准的草稿（{ $count }）：
report-published-line = { $case } { $title }：草稿 { $draft } 于 { $time } 由 { $by } 发布
report-pending-line = { $case } { $title }：草稿 { $draft }，{ $have }/{ $needed } 位领导已批准
report-pending-held = { $case } { $title }：草稿 { $draft }，因异议暂停
report-col-draft = 草稿
report-col-time = 时间
report-col-by = 人员

## Discord：应用命令选项的说明
discord-done = 已完成，已通知频道。
discord-option-case = 事件编号，例如 12
discord-option-draft = 草稿编号，例如 12.1
discord-option-text = 内容
discord-option-reason = 原因
discord-option-summary = 简短摘要
discord-option-title = 发生了什么（简要）
discord-option-grade = 等级：I 为最严重
discord-option-person = 团队成员
discord-option-name = bot.toml 中的人名（代替选择用户）
discord-option-duration = 时长，例如 30m、2h、1d
discord-option-clock = 哪个时钟
discord-option-date = 日期，格式 YYYY-MM-DD
discord-option-scope = 哪些事件
discord-option-period = 哪个时段
discord-option-language = 本聊天使用的语言
discord-option-status = 处置阶段
discord-option-action = 要做什么
discord-option-command = 要说明的命令

## 告警（Alertmanager、Grafana）

notice-alerts-changed = 🔔 { $case } { $title } — { $changes } · { $total } 条告警中 { $firing } 条仍在告警（{ $source }）
notice-alert-refired = 🔁 { $case } { $title } — 已重新打开：{ $source } 再次告警：{ $alerts }
event-alerts-changed = { $changes }（{ $total } 条中 { $firing } 条告警中）
event-alert-refired = 重新打开：再次告警：{ $alerts }
event-alert-fired = 告警触发：{ $name }（评为 { $grade } 级）
alerts-fired = 告警：{ $names }
alerts-resolved = 已恢复：{ $names }
card-alerts = 告警：{ $total } 条中 { $firing } 条告警中
card-alert-firing = 🔴 { $name }
card-alert-resolved = 🟢 { $name }（已恢复）
card-alerts-more = … 另有 { $count } 条
why-severity = 来源标注 { $label }={ $value }：至少 { $grade } 级

## Drills

drill-mark = 🧯 [演练]
notice-drill-started = 🧯 演练 #{ $drill } 由 { $by } 开始：{ $title } · { $injects } 条注入，{ $speed } 倍速 · 标有“演练”的一切都是演习，不会对外发布。
notice-drill-stopped = 🧯 演练 #{ $drill } 已由 { $by } 结束 · { $ended } 个未结演练案件已终止。发送 /drill report 查看复盘报告。
drill-unknown = drills/ 中没有名为“{ $name }”的演练场景（现有：{ $known }）。
drill-already = 本团队的演练 #{ $drill }（{ $scenario }）仍在进行：请先 /drill stop。
drill-none = 本团队没有正在进行的演练。
drill-status = 🧯 演练 #{ $drill }（{ $scenario }）{ $speed } 倍速 · 场景时间 { $elapsed } · 已发送 { $sent }/{ $injects } 条注入 · { $open } 个演练案件未结
drill-report-none = 本团队没有进行过该演练。
drill-report-head = 🧯 演练 #{ $drill }（{ $scenario }）{ $speed } 倍速 — 复盘报告 · 得分 { $score }/100
drill-report-case = { $case } { $title }：确认 { $ack } · 认领 { $owner } · 声明获批 { $approved } · 发布 { $published } · 解决 { $resolved }
drill-report-missed =   ✗ 未达成：{ $limit } 内{ $what }
drill-report-ended =   随演练结束而终止
drill-report-no-cases = 没有打开任何演练案件。
drill-report-timeline = 时间线（场景时间）：
drill-report-never = 未完成
drill-expect-acknowledge = 确认
drill-expect-first-statement = 首次发布声明
drill-expect-resolve = 解决
discord-option-scenario = drills/ 中的场景（查看报告时为演练编号）
discord-option-speed = 比真实时间快几倍，例如 10 或 60

## 合并与拆分案件（/merge、/split）

cmd-merge-usage = /merge <案件> into <案件>
cmd-merge-help = 把第一个案件并入第二个（同一事件的两次报告）：其信号、来源与较早的时限转入后者，待批草稿随之撤回，前者标为“已并入”。
cmd-split-usage = /split <案件> <信号>
cmd-split-help = 把案件中的一条信号（编号见 /status）拆出，单独立为新案件。
transition-merge = 合并
transition-split = 拆分
notice-merged-from = 🔗 { $case } { $title } — { $by } 将 { $from }（{ $from_title }）并入本案：转入 { $signals } 条信号；等级 { $grade }
notice-merged-into = 🔗 { $case } { $title } — 已由 { $by } 并入 { $into }
notice-merged-into-withdrawn = 🔗 { $case } { $title } — 已由 { $by } 并入 { $into }；已撤回草稿：{ $drafts }
notice-split-out = ✂️ { $case } { $title } — { $by } 将信号 { $signal } 拆出为新案件 { $into }
event-merged-from = 将 { $from } 并入本案（{ $signals } 条信号；等级 { $grade }）
event-merged-into = 将本案并入 { $into }
event-split-out = 将信号 { $signal } 拆出到 { $into }
event-split-from = 由 { $case } 的信号 { $signal } 立案，等级 { $grade }
event-draft-withdrawn = 撤回草稿 { $draft }：所属案件已并入 { $into }
status-merged = 🔗 已并入 { $into }：信号、等级与时限均在该案件中。
status-signals = 信号（/split <案件> <信号> 可拆出一条）：
status-signal = · { $signal } · { $source } · { $title }
status-signals-more = · ……以及更早的 { $count } 条
case-merged = 案件 { $case } 已并入 { $into }，请在 { $into } 上处理。
merge-self = 案件不能并入自身（{ $case }）。
merge-off-ledger = 案件 { $case } 处于「{ $state }」状态：只有仍在台账上的案件可以合并或拆分。
merge-other-team = { $from } 属于 { $team }，{ $into } 属于 { $other }：不同团队的案件不能合并。
merge-drill = { $from } 与 { $into } 中一个是演练案件、一个是真实案件：二者不能合并。
split-no-signal = 案件 { $case } 没有信号 { $signal }。其信号：{ $signals }。
split-last-signal = 信号 { $signal } 是 { $case } 的最后一条信号：案件至少保留一条。
split-title = { $case } 的信号 { $signal }
draft-line-withdrawn = 草稿 { $draft }（第 { $version } 版）：已撤回，所属案件已并入 { $into }
draft-card-withdrawn = 🔗 已撤回：所属案件已并入 { $into }。
discord-option-into = 并入的目标案件
discord-option-signal = 信号编号（见 /status）
