package api

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
)

// access is how a route authenticates.
type access int

const (
	accessPublic access = iota // no token
	accessBearer               // Authorization: Bearer
	accessStream               // Bearer, or ?token= since browsers cannot set WebSocket headers
)

// route is one row of docs/api-routes.md: how it is served, and what the
// OpenAPI document says about it.
type route struct {
	method, path, op, summary string
	access                    access
	body                      any  // zero value of the request body; nil: none
	optional                  bool // the body may be left out
	result                    any  // zero value of the response body; nil: 204
	status                    int  // success status; 0 means 200
	query                     []string
	idempotency               bool // reads the Idempotency-Key header
	ep                        endpoint
	raw                       http.Handler // a handler that writes its own response
}

const (
	v1     = "/api/v1"
	office = v1 + "/offices/{office}"
	ticket = office + "/tickets/{ticket}"
	window = office + "/windows/{window}"
	hooks  = v1 + "/integrations/{integration}/webhooks"
	hook   = hooks + "/{webhook}"
)

// routes is every route of the server.
func (s *server) routes() []route {
	b, j := s.backend, s.journal
	return []route{
		{method: "GET", path: "/healthz", op: "healthz", access: accessPublic, summary: "Жив ли сервер (для перезапуска при отказе)", result: health{}, ep: healthz(s.ready)},
		{method: "GET", path: "/readyz", op: "readyz", access: accessPublic, summary: "Готов ли сервер принимать запросы (для балансировщика и мониторинга)", result: health{}, ep: readyz(s.ready, s.draining)},
		{method: "GET", path: v1 + "/openapi.json", op: "getOpenAPI", access: accessPublic, summary: "Этот документ OpenAPI", result: openAPIDocument{}, ep: document(&s.openAPI)},
		{method: "POST", path: v1 + "/login", op: "login", access: accessPublic, summary: "Вход по логину и паролю или по карте сотрудника: токен для Authorization: Bearer", body: loginRequest{}, result: loginResponse{}, ep: login(b, j, s.tokens, s.guard)},
		{method: "POST", path: v1 + "/refresh", op: "refreshToken", access: accessBearer, summary: "Новый токен того же сеанса без пароля", result: loginResponse{}, ep: refreshToken(s.tokens)},
		{method: "POST", path: v1 + "/logout", op: "logout", access: accessBearer, summary: "Выход: токены этого сеанса перестают действовать", ep: logout(b)},
		{method: "POST", path: v1 + "/pair", op: "pairDevice", access: accessPublic, summary: "Привязка устройства: одноразовый код в обмен на ключ устройства", body: pairRequest{}, result: domain.DevicePairing{}, ep: pairDevice(b, s.guard)},
		{method: "GET", path: v1 + "/me", op: "getMe", access: accessBearer, summary: "Кто вошёл; интеграция с заголовком X-Talon-Operator и office — за какого оператора она действует", query: []string{"office"}, result: domain.Actor{}, ep: getMe},
		{method: "POST", path: v1 + "/oauth/token", op: "oauthToken", access: accessPublic, summary: "OAuth2 (client credentials, RFC 6749 4.4): client_id и client_secret интеграции в обмен на токен для Authorization: Bearer; форма или JSON",
			body: oauthTokenRequest{}, result: oauthTokenResponse{}, raw: oauthToken(b, j, s.tokens, s.guard)},
		{method: "GET", path: v1 + "/integrations", op: "listIntegrations", access: accessBearer, summary: "Интеграции с другими системами (только администратор региона)", result: []domain.Integration{}, ep: listIntegrations(b)},
		{method: "GET", path: v1 + "/integrations/{integration}", op: "getIntegration", access: accessBearer, summary: "Интеграция", result: domain.Integration{}, ep: getIntegration(b)},
		{method: "PUT", path: v1 + "/integrations/{integration}", op: "putIntegration", access: accessBearer, summary: "Зарегистрировать интеграцию или изменить её офисы, операции и режим (sandbox — песочница на тестовых офисах); ключ выдаётся отдельно",
			body: domain.Integration{}, result: domain.Integration{}, ep: putIntegration(b)},
		{method: "DELETE", path: v1 + "/integrations/{integration}", op: "deleteIntegration", access: accessBearer, summary: "Удалить интеграцию: её ключ и токены перестают действовать", ep: deleteIntegration(b)},
		{method: "POST", path: v1 + "/integrations/{integration}/key", op: "issueIntegrationKey", access: accessBearer, summary: "Выдать интеграции новый ключ (показывается один раз); прежний ключ и его токены перестают действовать", result: domain.IntegrationKey{}, ep: issueIntegrationKey(b)},
		{method: "POST", path: v1 + "/integrations/{integration}/revoke", op: "revokeIntegrationKey", access: accessBearer, summary: "Отозвать ключ интеграции; интеграция остаётся, новый ключ возвращает доступ", result: domain.Integration{}, ep: revokeIntegrationKey(b)},
		{method: "GET", path: v1 + "/backup", op: "backup", access: accessBearer, summary: "Резервная копия базы (только администратор всех офисов)", result: binaryFile{}, raw: backup(s.backup, j, s.fail, s.log)},
		{method: "GET", path: v1 + "/backup/status", op: "getBackupStatus", access: accessBearer, summary: "Как идут резервные копии по расписанию (--backup-dir): последняя проверенная копия, последняя ошибка; для страницы офиса",
			result: domain.BackupStatus{}, ep: backupStatus(s.backups)},
		{method: "GET", path: v1 + "/region/link", op: "getRegionLink", access: accessBearer, summary: "Связь узла офиса с регионом (--office-node): есть ли она и с какого времени, сколько событий ещё не передано; для страницы офиса",
			result: domain.RegionLink{}, ep: regionLink(s.link)},
		{method: "GET", path: v1 + "/journal", op: "listRegionJournal", access: accessBearer, summary: "Журнал действий по региону (только администратор всех офисов); format=csv — файл",
			query: journal.FilterParams, result: []domain.JournalRecord{}, raw: journalRecords(j, b, false, s.reply, s.fail)},
		{method: "GET", path: v1 + "/stats", op: "getStats", access: accessBearer, summary: "Статистика за период по офисам (office, можно несколько; без него — все доступные): талоны, ожидание и норма, обслуживание, время окон, точность прогноза ожидания, оценки; by — разбивка; format=csv или xlsx — файл",
			query: statsParams, result: domain.StatsReport{}, raw: statsReport(b, s.reply, s.fail)},
		{method: "GET", path: v1 + "/journal/heads", op: "getRegionJournalHeads", access: accessBearer, summary: "Хеши конца дня журнала региона и текущий", result: domain.JournalHeads{}, ep: journalHeads(j, false)},

		{method: "GET", path: v1 + "/offices", op: "listOffices", access: accessBearer, summary: "Офисы", result: []domain.Office{}, ep: listOffices(b)},
		{method: "GET", path: office, op: "getOffice", access: accessBearer, summary: "Офис", result: domain.Office{}, ep: getOffice(b)},
		{method: "PUT", path: office, op: "putOffice", access: accessBearer, summary: "Создать или изменить офис", body: domain.Office{}, result: domain.Office{}, ep: putOffice(b)},
		{method: "GET", path: office + "/services", op: "listServices", access: accessBearer, summary: "Меню услуг офиса", result: []domain.Service{}, ep: listServices(b)},
		{method: "PUT", path: office + "/services/{service}", op: "putService", access: accessBearer, summary: "Создать или изменить услугу или группу", body: domain.Service{}, result: domain.Service{},
			ep: putIn("service", func(v *domain.Service) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutService)},
		{method: "DELETE", path: office + "/services/{service}", op: "deleteService", access: accessBearer, summary: "Удалить услугу", ep: deleteIn("service", b.DeleteService)},
		{method: "POST", path: office + "/catalog/import", op: "importCatalog", access: accessBearer, summary: "Загрузить услуги и органы власти из файла ФРГУ (JSON или CSV, docs/frgu-import.md) в каталог офиса; dry_run=true — только показать, что изменится",
			query: []string{"format", "dry_run"}, body: registerFile{}, result: domain.RegisterReport{}, ep: importCatalog(b)},
		{method: "GET", path: office + "/windows", op: "listWindows", access: accessBearer, summary: "Окна и что в них происходит", result: []domain.WindowState{}, ep: listOf(b.ListWindows)},
		{method: "PUT", path: window, op: "putWindow", access: accessBearer, summary: "Создать или изменить окно", body: domain.Window{}, result: domain.Window{},
			ep: putIn("window", func(v *domain.Window) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutWindow)},
		{method: "DELETE", path: window, op: "deleteWindow", access: accessBearer, summary: "Удалить окно", ep: deleteIn("window", b.DeleteWindow)},
		{method: "GET", path: office + "/operators", op: "listOperators", access: accessBearer, summary: "Операторы", result: []domain.Operator{}, ep: listOf(b.ListOperators)},
		{method: "PUT", path: office + "/operators/{operator}", op: "putOperator", access: accessBearer, summary: "Создать или изменить оператора", body: domain.Operator{}, result: domain.Operator{},
			ep: putIn("operator", func(v *domain.Operator) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutOperator)},
		{method: "DELETE", path: office + "/operators/{operator}", op: "deleteOperator", access: accessBearer, summary: "Удалить оператора", ep: deleteIn("operator", b.DeleteOperator)},
		{method: "GET", path: office + "/devices", op: "listDevices", access: accessBearer, summary: "Устройства: киоски, табло, терминалы оценки, с последним состоянием их оборудования и связью", result: []domain.Device{}, ep: listDevices(b, s.hub.Links, s.offline, s.now)},
		{method: "PUT", path: office + "/devices/{device}", op: "putDevice", access: accessBearer, summary: "Создать или изменить устройство", body: domain.Device{}, result: domain.Device{},
			ep: putIn("device", func(v *domain.Device) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutDevice)},
		{method: "POST", path: office + "/devices/{device}/pairing-code", op: "createPairingCode", access: accessBearer, summary: "Одноразовый код привязки устройства (15 минут)", result: domain.PairingCode{}, status: http.StatusCreated, ep: deviceAction(b.CreatePairingCode)},
		{method: "POST", path: office + "/devices/{device}/revoke", op: "revokeDevice", access: accessBearer, summary: "Отозвать ключ устройства: оно сразу теряет доступ", result: domain.Device{}, ep: deviceAction(b.RevokeDevice)},
		{method: "PUT", path: office + "/devices/{device}/state", op: "reportDeviceState", access: accessBearer, summary: "Устройство сообщает состояние своего оборудования: принтера киоска, табло окон", body: deviceStateRequest{}, result: domain.DeviceState{}, ep: reportDeviceState(b)},
		{method: "DELETE", path: office + "/devices/{device}", op: "deleteDevice", access: accessBearer, summary: "Удалить устройство", ep: deleteIn("device", b.DeleteDevice)},
		{method: "GET", path: office + "/priority-categories", op: "listPriorityCategories", access: accessBearer, summary: "Льготные категории", result: []domain.PriorityCategory{}, ep: listOf(b.ListPriorityCategories)},
		{method: "PUT", path: office + "/priority-categories/{category}", op: "putPriorityCategory", access: accessBearer, summary: "Создать или изменить льготную категорию", body: domain.PriorityCategory{}, result: domain.PriorityCategory{},
			ep: putIn("category", func(v *domain.PriorityCategory) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutPriorityCategory)},
		{method: "DELETE", path: office + "/priority-categories/{category}", op: "deletePriorityCategory", access: accessBearer, summary: "Удалить льготную категорию", ep: deleteIn("category", b.DeletePriorityCategory)},
		{method: "GET", path: office + "/announcements", op: "listAnnouncements", access: accessBearer, summary: "Объявления бегущей строки табло зала", result: []domain.Announcement{}, ep: listOf(b.ListAnnouncements)},
		{method: "PUT", path: office + "/announcements/{announcement}", op: "putAnnouncement", access: accessBearer, summary: "Создать или изменить объявление бегущей строки и его расписание", body: domain.Announcement{}, result: domain.Announcement{},
			ep: putIn("announcement", func(v *domain.Announcement) (*string, *string) { return &v.OfficeID, &v.ID }, b.PutAnnouncement)},
		{method: "DELETE", path: office + "/announcements/{announcement}", op: "deleteAnnouncement", access: accessBearer, summary: "Удалить объявление бегущей строки", ep: deleteIn("announcement", b.DeleteAnnouncement)},
		{method: "GET", path: office + "/journal", op: "listJournal", access: accessBearer, summary: "Журнал действий офиса (руководитель, администратор); format=csv — файл",
			query: journal.FilterParams, result: []domain.JournalRecord{}, raw: journalRecords(j, b, true, s.reply, s.fail)},
		{method: "GET", path: office + "/journal/heads", op: "getJournalHeads", access: accessBearer, summary: "Хеши конца дня журнала офиса и текущий", result: domain.JournalHeads{}, ep: journalHeads(j, true)},
		{method: "GET", path: office + "/accounts", op: "listAccounts", access: accessBearer, summary: "Учётные записи офиса", result: []domain.Account{}, ep: listOf(b.ListAccounts)},
		{method: "PUT", path: v1 + "/accounts/{login}", op: "putAccount", access: accessBearer, summary: "Создать или изменить учётную запись; пустой пароль оставляет прежний", body: domain.AccountInput{}, result: domain.Account{}, ep: putAccount(b)},
		{method: "POST", path: v1 + "/accounts/{login}/staff-card", op: "issueStaffCard", access: accessBearer, summary: "Новая карта сотрудника взамен прежней; код карты показывается только в этом ответе", result: domain.StaffCard{}, status: http.StatusCreated, ep: staffCard(b.IssueStaffCard)},
		{method: "DELETE", path: v1 + "/accounts/{login}/staff-card", op: "revokeStaffCard", access: accessBearer, summary: "Отозвать карту сотрудника (утеряна): она сразу перестаёт действовать, сеансы учётной записи завершаются", result: domain.Account{}, ep: staffCard(b.RevokeStaffCard)},

		{method: "POST", path: office + "/tickets", op: "issueTicket", access: accessBearer, summary: "Выдать талон; повтор с тем же Idempotency-Key возвращает тот же талон", body: domain.IssueRequest{}, result: domain.Ticket{}, status: http.StatusCreated, idempotency: true, ep: issueTicket(b)},
		{method: "GET", path: ticket, op: "getTicket", access: accessBearer, summary: "Талон", result: domain.Ticket{}, ep: getTicket(b)},
		{method: "POST", path: ticket + "/cancel", op: "cancelTicket", access: accessBearer, summary: "Отменить талон", result: domain.Ticket{}, idempotency: true, ep: ticketAction(b.CancelTicket)},
		{method: "POST", path: ticket + "/recall", op: "recallTicket", access: accessBearer, summary: "Повторный вызов", result: domain.Ticket{}, idempotency: true, ep: ticketAction(b.RecallTicket)},
		{method: "POST", path: ticket + "/start", op: "startService", access: accessBearer, summary: "Заявитель подошёл: начать обслуживание", result: domain.Ticket{}, idempotency: true, ep: ticketAction(b.StartService)},
		{method: "POST", path: ticket + "/finish", op: "finishTicket", access: accessBearer, summary: "Завершить обслуживание", result: domain.Ticket{}, idempotency: true, ep: ticketAction(b.FinishTicket)},
		{method: "POST", path: ticket + "/postpone", op: "postponeTicket", access: accessBearer, summary: "Отложить талон на 1–240 минут", body: postponeRequest{}, result: domain.Ticket{}, idempotency: true, ep: postponeTicket(b)},
		{method: "POST", path: ticket + "/redirect", op: "redirectTicket", access: accessBearer, summary: "Перенаправить в услугу, окно или к оператору", body: domain.Redirect{}, result: domain.Ticket{}, idempotency: true, ep: redirectTicket(b)},
		{method: "PUT", path: ticket + "/case-number", op: "attachCaseNumber", access: accessBearer, summary: "Номер дела в АИС МФЦ для талона", body: caseNumberRequest{}, result: domain.Ticket{}, ep: attachCaseNumber(b)},
		{method: "POST", path: ticket + "/no-show", op: "markNoShow", access: accessBearer, summary: "Заявитель не явился", result: domain.Ticket{}, idempotency: true, ep: ticketAction(b.MarkNoShow)},
		{method: "GET", path: office + "/queue", op: "listQueue", access: accessBearer, summary: "Очередь; pool — только льготные (priority), перенаправленные (redirected) или отложенные (postponed)", query: []string{"service_id", "window_id", "status", "pool"}, result: []domain.Ticket{}, ep: listQueue(b)},
		{method: "GET", path: office + "/tickets", op: "findTickets", access: accessBearer, summary: "Талоны офиса с номером дела АИС МФЦ (case_number), за любые дни, новые первыми", query: []string{"case_number"}, result: []domain.Ticket{}, ep: findTickets(b)},
		{method: "GET", path: office + "/operator-counts", op: "listOperatorCounts", access: accessBearer, summary: "Работа операторов сегодня: обслужено, неявки, перенаправлено, отложено, кто в каком окне и сколько ждут; operator или case_system_id — один оператор",
			query: []string{"operator", "case_system_id"}, result: []domain.OperatorCounts{}, ep: listOperatorCounts(b)},
		{method: "GET", path: office + "/hours", op: "getOfficeHours", access: accessBearer, summary: "Часы работы офиса и его услуг: сегодня и по дням недели", result: domain.OfficeHours{}, ep: ofOffice(b.GetOfficeHours)},
		{method: "GET", path: office + "/times", op: "getServiceTimes", access: accessBearer, summary: "Среднее время ожидания и обслуживания: сегодня, по часам сегодня, по дням недели за weeks недель (по умолчанию 4)",
			query: []string{"weeks"}, result: domain.ServiceTimes{}, ep: getServiceTimes(b)},
		{method: "GET", path: office + "/load", op: "getLiveLoad", access: accessBearer, summary: "Загрузка офиса сейчас", result: domain.LiveLoad{}, ep: ofOffice(b.GetLiveLoad)},
		{method: "GET", path: office + "/snapshot", op: "getSnapshot", access: accessBearer, summary: "Полное состояние офиса", result: domain.OfficeSnapshot{}, ep: ofOffice(b.GetSnapshot)},
		{method: "POST", path: office + "/check-in", op: "checkInAppointment", access: accessBearer, summary: "Регистрация по коду предварительной записи", body: checkInRequest{}, result: domain.Ticket{}, status: http.StatusCreated, ep: checkInAppointment(b)},

		{method: "POST", path: window + "/session", op: "openWindowSession", access: accessBearer, summary: "Оператор начинает работу в окне", result: domain.WindowState{}, ep: windowAction(b.OpenWindowSession)},
		{method: "DELETE", path: window + "/session", op: "closeWindowSession", access: accessBearer, summary: "Оператор заканчивает работу в окне", result: domain.WindowState{}, ep: windowAction(b.CloseWindowSession)},
		{method: "POST", path: window + "/pause", op: "pauseWindow", access: accessBearer, summary: "Перерыв или его конец", body: pauseRequest{}, result: domain.WindowState{}, ep: pauseWindow(b)},
		{method: "PUT", path: window + "/pad", op: "reportPadState", access: accessBearer, summary: "Пульт оператора сообщает, отвечает ли кнопочный пульт окна", body: padStateRequest{}, result: domain.PadState{}, ep: reportPadState(b)},
		{method: "GET", path: window + "/ticket", op: "getWindowTicket", access: accessBearer, summary: "Талон, вызванный или обслуживаемый в окне сейчас; нет — queue_empty", result: domain.Ticket{}, ep: getWindowTicket(b)},
		{method: "POST", path: window + "/call-next", op: "callNext", access: accessBearer, summary: "Вызвать следующего, из всей очереди или из pool: priority, redirected, postponed", body: callNextRequest{}, optional: true, result: domain.Ticket{}, idempotency: true, ep: callNext(b)},
		{method: "POST", path: window + "/call", op: "callTicket", access: accessBearer, summary: "Вызвать талон вне очереди", body: domain.CallRequest{}, result: domain.Ticket{}, idempotency: true, ep: callTicket(b)},

		{method: "POST", path: office + "/appointments", op: "createAppointment", access: accessBearer, summary: "Предварительная запись", body: domain.NewAppointment{}, result: domain.Appointment{}, status: http.StatusCreated, ep: createAppointment(b)},
		{method: "PUT", path: ticket + "/phone", op: "recordTicketPhone", access: accessBearer, summary: "Телефон заявителя к талону с его согласием (consent), чтобы сообщить о готовности результата; телефон не попадает ни в события, ни в талон, удаляется через --pd-retention",
			body: domain.PhoneInput{}, result: domain.Contact{}, ep: recordPhone("ticket", b.RecordTicketPhone)},
		{method: "GET", path: ticket + "/phone", op: "getTicketContact", access: accessBearer, summary: "Телефон, оставленный к талону, и звонки по нему", result: domain.Contact{}, ep: getContact("ticket", b.GetTicketContact)},
		{method: "POST", path: ticket + "/result-notices", op: "notifyTicketResult", access: accessBearer, summary: "Звонок заявителю о готовности результата: кто, когда, чем закончился (told, message_left, no_answer, wrong_number)",
			body: domain.NoticeInput{}, result: domain.Contact{}, ep: notifyResult("ticket", b.NotifyTicketResult)},
		{method: "PUT", path: office + "/appointments/{appointment}/phone", op: "recordAppointmentPhone", access: accessBearer, summary: "Телефон заявителя к записи с его согласием (consent)",
			body: domain.PhoneInput{}, result: domain.Contact{}, ep: recordPhone("appointment", b.RecordAppointmentPhone)},
		{method: "GET", path: office + "/appointments/{appointment}/phone", op: "getAppointmentContact", access: accessBearer, summary: "Телефон, оставленный к записи, и звонки по нему", result: domain.Contact{}, ep: getContact("appointment", b.GetAppointmentContact)},
		{method: "POST", path: office + "/appointments/{appointment}/result-notices", op: "notifyAppointmentResult", access: accessBearer, summary: "Звонок заявителю по записи о готовности результата",
			body: domain.NoticeInput{}, result: domain.Contact{}, ep: notifyResult("appointment", b.NotifyAppointmentResult)},
		{method: "GET", path: office + "/phone-status", op: "getPhoneStatus", access: accessBearer, summary: "Для IVR: состояние записи по коду (code) или сегодняшнего талона по номеру (number) — место, ожидание, вызван ли; без персональных данных, с готовой фразой (words)",
			query: []string{"code", "number"}, result: domain.PhoneStatus{}, ep: phoneStatus(b)},
		{method: "GET", path: office + "/appointments/{appointment}", op: "getAppointment", access: accessBearer, summary: "Запись", result: domain.Appointment{}, ep: getAppointment(b)},
		{method: "DELETE", path: office + "/appointments/{appointment}", op: "cancelAppointment", access: accessBearer, summary: "Отменить запись", result: domain.Appointment{}, ep: cancelAppointment(b)},
		{method: "GET", path: office + "/slots", op: "listAppointmentSlots", access: accessBearer, summary: "Свободное время для записи на день", query: []string{"service_id", "day"}, result: []domain.Slot{}, ep: listAppointmentSlots(b)},
		{method: "GET", path: office + "/rating-forms/current", op: "currentRatingForm", access: accessBearer, summary: "Действующая форма оценки МКГУ: показатели, значения и их подписи", result: domain.RatingForm{}, ep: ofOffice(b.CurrentRatingForm)},
		{method: "POST", path: office + "/ratings", op: "submitRating", access: accessBearer, summary: "Оценка обслуживания по талону: терминал оценки — только талоны своего окна; телефон для опроса — с согласием, в ответе маскирован", body: domain.NewRating{}, result: domain.Rating{}, status: http.StatusCreated, ep: submitRating(b)},
		{method: "GET", path: office + "/ratings/pending", op: "pendingRating", access: accessBearer, summary: "Талон, который ждёт оценки в окне (window) или по QR (ticket); нечего оценивать — queue_empty", query: []string{"window", "ticket"}, result: domain.RatingRequest{}, ep: pendingRating(b)},
		{method: "GET", path: office + "/ratings/summary", op: "getRatingSummary", access: accessBearer, summary: "Сводка оценок за период: средние по показателям, распределение оценок, доля оценивших",
			query: []string{"from", "to", "service", "operator", "window", "group_by"}, result: domain.RatingSummary{}, ep: ratingSummary(b)},
		{method: "GET", path: office + "/outbox", op: "listOutbox", access: accessBearer, summary: "Отправка в другие системы (пакеты МКГУ): состояние доставки каждого сообщения, без его содержимого",
			query: []string{"channel", "state", "after", "limit"}, result: []domain.Delivery{}, ep: listOutbox(b)},
		{method: "POST", path: office + "/outbox/{message}/redeliver", op: "redeliverMessage", access: accessBearer, summary: "Отправить снова сообщение, отклонённое окончательно (dead)", result: domain.Delivery{}, ep: redeliverMessage(b)},
		{method: "GET", path: office + "/mdm", op: "getMDMFeed", access: accessBearer, summary: "Объекты для ИС МДМ за период (from, to — даты офиса или RFC 3339): события очереди с их настоящим временем, по порядку; страница до limit объектов, следующая — after=seq последнего",
			query: []string{"from", "to", "after", "limit"}, result: []domain.MDMObject{}, ep: mdmFeed(b)},

		{method: "GET", path: hooks, op: "listWebhooks", access: accessBearer, summary: "Подписки интеграции на события (webhooks), без секретов", result: []domain.Webhook{}, ep: listWebhooks(b)},
		{method: "PUT", path: hook, op: "putWebhook", access: accessBearer, summary: "Создать или изменить подписку: адрес, типы событий (пусто — все), офисы (пусто — все, только администратор региона); секрет новой подписки — только в этом ответе",
			body: domain.Webhook{}, result: domain.Webhook{}, ep: putWebhook(b)},
		{method: "DELETE", path: hook, op: "deleteWebhook", access: accessBearer, summary: "Удалить подписку; её неотправленные сообщения отклоняются с причиной", ep: deleteWebhook(b)},
		{method: "POST", path: hook + "/rotate-secret", op: "rotateWebhookSecret", access: accessBearer, summary: "Новый секрет подписки взамен прежнего; показывается только в этом ответе", result: domain.Webhook{}, ep: rotateWebhookSecret(b)},
		{method: "GET", path: hook + "/deliveries", op: "listWebhookDeliveries", access: accessBearer, summary: "Журнал доставки подписки по всем её офисам: состояние каждого сообщения, без содержимого",
			query: []string{"state", "after", "limit"}, result: []domain.Delivery{}, ep: listWebhookDeliveries(b)},
		{method: "GET", path: "/t/{token}", op: "ticketStatusPage", access: accessPublic, summary: "Страница талона для телефона заявителя (HTML, без входа; ключ — токен талона)", result: htmlPage{}, raw: ticketStatusPage(b, s.ticket, s.fail)},
		{method: "GET", path: "/t/{token}/status", op: "getTicketStatus", access: accessPublic, summary: "Состояние талона для его страницы (без входа; ключ — токен талона)", result: domain.TicketStatus{}, ep: getTicketStatus(b)},
		{method: "GET", path: office + "/stream", op: "streamOffice", access: accessStream, summary: "WebSocket: снимок, затем события по порядку (см. docs/api-routes.md)", query: []string{"since", "token"}, raw: stream(b, s.hub, s.fail)},
	}
}

// router mounts the table. The middleware is set here once. None of it hides
// http.Hijacker (no compression, no timeout wrappers), so the WebSocket route
// shares it; its body limit is not needed and is left out.
func (s *server) router(table []route) http.Handler {
	r := chi.NewRouter()
	r.Use(requestID, origin, s.logRequests, s.recoverer)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, domain.Errorf(domain.CodeNotFound, "адреса %s нет; список — в /api/v1/openapi.json", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, domain.Errorf(domain.CodeNotFound, "метод %s для адреса %s не поддерживается", r.Method, r.URL.Path))
	})
	for _, rt := range table {
		h := s.onlyQuery(rt.query, s.handler(rt))
		switch rt.access {
		case accessPublic:
			h = s.limitBody(h)
		case accessBearer:
			h = s.authenticate(false)(s.limitBody(h))
		case accessStream:
			h = s.authenticate(true)(h)
		}
		if rt.access != accessPublic && rt.method == http.MethodGet {
			h = s.journalReads(rt.op, h)
		}
		r.Method(rt.method, rt.path, h)
	}
	if s.metrics != nil {
		r.Method("GET", "/metrics", s.metrics)
	}
	if s.pages != nil {
		r.Method("GET", "/", s.pages)
		r.Method("GET", "/stats", s.pages)
		r.Method("GET", "/static/*", s.pages)
	}
	return r
}

func (s *server) handler(rt route) http.Handler {
	if rt.raw != nil {
		return rt.raw
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.idempotency {
			key := r.Header.Get("Idempotency-Key")
			if err := checkIdempotencyKey(key); err != nil {
				s.fail(w, r, err)
				return
			}
			r = r.WithContext(domain.WithIdempotencyKey(r.Context(), key))
		}
		v, err := rt.ep(r)
		switch {
		case err != nil:
			s.fail(w, r, err)
		case rt.result == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			s.reply(w, r, status, v)
		}
	})
}

// onlyQuery refuses query parameters a route does not know, so a typo
// (serviceId for service_id) is an error rather than silently ignored.
func (s *server) onlyQuery(known []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.fail(w, r, invalid("строка запроса после «?» составлена неверно"))
			return
		}
	next:
		for name := range q {
			for _, k := range known {
				if name == k {
					continue next
				}
			}
			s.fail(w, r, invalid("неизвестный параметр запроса %q", name))
			return
		}
		next.ServeHTTP(w, r)
	})
}
