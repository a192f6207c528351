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
refuse-role = 抱歉，{ $command } 需要「{ $roles }」角色。
command-unknown = 没有 /{ $name } 这个命令。发送 /help 查看命令列表。
usage = 用法：{ $usage }
too-long = 文字太长（最多 { $max } 个字符）。
    用法：{ $usage }
error-internal = 系统内部出错，未做任何更改。请重试；如果反复出现，请告知管理员。
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
status-drill = 这是演练。
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

## 案件卡片与投递

card-source = 来源：{ $source }
button-ack = 👀 确认
button-claim = 🙋 认领
notice-delivery-failed = ⚠️ 无法向「{ $chat }」群投递消息，不再重试：{ $reason }
digest-header = 📋 同时有 { $count } 条动态，合并为一条消息：
card-last = { $by }：{ $what }

## 信号接入

notice-alert-resolved = 🟢 { $case } { $title } — { $source } 报告告警已恢复：{ $alert }
event-signal = 又一条报道，来自 { $source }（评为 { $grade } 级）
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
