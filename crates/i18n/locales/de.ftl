## E-Mails an Kunden

email-dear = Guten Tag { $name },
email-reference = Vorgangsnummer { $reference }: Bitte lassen Sie sie im Betreff stehen, wenn Sie antworten.
customer-care = Kundenservice
status-link-footer = Verfolgen Sie Ihren Vorgang und schreiben Sie uns jederzeit: { $link }

apology-subject = Es tut uns leid [{ $reference }]
apology-sorry = Es tut uns leid: Wir haben Sie enttäuscht, und wir danken Ihnen, dass Sie es uns gesagt haben.
apology-action = Wie vereinbart machen wir es wieder gut: { $action }.
apology-prevent = { $preventer } sorgt mit Vorbeugemaßnahmen dafür, dass dies nicht wieder vorkommt, und jemand, der nicht mit Ihrem Vorgang befasst ist, wird Sie fragen, ob die Sache für Sie erledigt ist.
apology-contact = Ihre Vorgangsnummer ist { $reference }; ich bleibe Ihre Ansprechperson.

report-subject = Unser Bericht zu Ihrer Rückmeldung [{ $reference }]
report-body = Wie versprochen finden Sie hier unseren Bericht darüber, was schiefgelaufen ist und welche Maßnahmen wir ergreifen:

recovery-subject = Wie zufrieden sind Sie jetzt? [{ $reference }]
recovery-body = Ihr Vorgang { $reference } ist abgeschlossen. Würden Sie uns sagen, wie zufrieden Sie jetzt sind? Es dauert nur eine Minute.
recovery-code = Gehen Sie auf { $url } und geben Sie das Kennwort { $code } ein.
recovery-thanks = Vielen Dank.

survey-ack-subject = Danke für Ihre Teilnahme an „{ $survey }“
survey-next-default = Wir lesen jede Antwort, und sie bestimmen, wie wir besser werden.
survey-next-follow-up = Weil etwas nicht so war, wie es sein sollte, meldet sich { $owner } bis { $due } bei Ihnen, um zu verstehen, was passiert ist.
survey-next-follow-up-report = Weil etwas nicht so war, wie es sein sollte, meldet sich { $owner } bis { $due } bei Ihnen, um zu verstehen, was passiert ist, und schickt Ihnen einen schriftlichen Bericht über die Maßnahmen, die wir ergreifen.
survey-reward = Als Dankeschön haben wir Ihrem Konto { $points } Punkte gutgeschrieben.

complaint-ack-subject = Wir haben Ihre Beschwerde erhalten [{ $reference }]
complaint-ack-thanks = Danke, dass Sie uns davon berichtet haben. Ihre Vorgangsnummer ist { $reference }.
complaint-ack-next = { $owner } kümmert sich um Ihren Vorgang und meldet sich bis { $due } bei Ihnen.
complaint-ack-reward = Weil Sie es uns so bald nach dem Vorfall gesagt haben, haben wir Ihrem Konto { $points } Punkte gutgeschrieben.

## Alle öffentlichen Seiten

language-switch = Sprache
go-back = Zurück
optional = (freiwillig)
form-expired-heading = Bitte versuchen Sie es noch einmal
form-expired-text = Dieses Formular ist abgelaufen oder wurde von einer anderen Website gesendet. Laden Sie die Seite neu und senden Sie es noch einmal.
too-many-heading = Bitte warten Sie einen Moment
too-many-complaints = Von hier wurden in kurzer Zeit viele Beschwerden gesendet. Bitte versuchen Sie es in { $seconds } Sekunden noch einmal.
too-many-links = Zu viele falsche Links von hier. Bitte versuchen Sie es in { $seconds } Sekunden noch einmal.

## Die Startseite

front-title = Wie können wir helfen?
front-intro = Sagen Sie uns, was schiefgelaufen ist, und wir bringen es in Ordnung – oder sagen Sie uns, wie wir waren.
front-complain = Ein Problem melden
front-complain-text = Ist bei einer Bestellung, einem Besuch oder einer Leistung etwas schiefgegangen? Sagen Sie es uns, und eine Person kümmert sich darum, bis es in Ordnung ist.
front-survey = An einer Umfrage teilnehmen
front-survey-text = Haben Sie ein Kennwort für eine Umfrage erhalten? Geben Sie es hier ein.
front-status = Schon gemeldet? In unserer E-Mail an Sie steht ein privater Link, unter dem Sie Ihren Vorgang verfolgen.

## Das Beschwerdeformular

complaint-title = Ein Problem melden
complaint-intro = Eine Person kümmert sich von Anfang bis Ende um Ihren Vorgang. Je früher Sie es uns sagen, desto früher können wir es in Ordnung bringen.
complaint-about-you = Über Sie
complaint-name = Ihr Name
complaint-email = Ihre E-Mail-Adresse
complaint-email-hint = Wir antworten Ihnen dort und schicken Ihnen einen privaten Link, unter dem Sie Ihren Vorgang verfolgen.
complaint-phone = Telefonnummer
complaint-about-problem = Was ist passiert
complaint-summary = In wenigen Worten
complaint-summary-hint = Zum Beispiel: „Die Vase kam zerbrochen an“.
complaint-description = Was ist passiert?
complaint-description-hint = Was schiefgelaufen ist, wo, und alles, was uns hilft, es zu verstehen.
complaint-when = Wann ist es passiert?
complaint-date = Datum
complaint-time = Uhrzeit, wenn Sie sie wissen
complaint-area = Worum geht es?
complaint-area-none = Ich bin nicht sicher
complaint-desired = Was würde es für Sie wieder gutmachen?
complaint-desired-hint = Ersatz, eine Erstattung, eine Entschuldigung, ein Rückruf … Sagen Sie uns, was Sie sich wünschen.
complaint-order = Bestell-, Rechnungs- oder Buchungsnummer
complaint-files = Fotos oder Belege
complaint-files-hint = Bis zu { $count } Dateien mit je höchstens { $size }: Fotos, Scans oder PDFs.
complaint-honeypot = Dieses Feld bitte leer lassen
complaint-send = Beschwerde senden
complaint-privacy = Wir verwenden Ihre Angaben nur, um Ihre Beschwerde zu bearbeiten.

complaint-missing-name = Bitte nennen Sie uns Ihren Namen.
complaint-missing-email = Bitte geben Sie Ihre E-Mail-Adresse an: Wir antworten Ihnen dort und schicken Ihnen den Link zu Ihrem Vorgang.
complaint-bad-email = „{ $email }“ sieht nicht wie eine E-Mail-Adresse aus. Bitte prüfen Sie sie.
complaint-missing-summary = Bitte sagen Sie in wenigen Worten, worum es geht.
complaint-missing-description = Bitte erzählen Sie uns, was passiert ist.
complaint-missing-date = Bitte sagen Sie uns, an welchem Tag es passiert ist.
complaint-bad-date = Bitte geben Sie den Tag als Datum an, zum Beispiel 2026-11-30.
complaint-future-date = Der Tag des Vorfalls kann nicht in der Zukunft liegen.
complaint-file-too-large = Die Datei „{ $file }“ ist zu groß: Jede Datei darf höchstens { $size } groß sein.
complaint-too-many-files = Bitte hängen Sie höchstens { $count } Dateien an.
complaint-too-much-text = Ihr Text ist zu lang. Bitte kürzen Sie ihn.
complaint-unreadable = Ihre Beschwerde konnte nicht gelesen werden. Bitte senden Sie das Formular noch einmal.
complaint-honeypot-filled = Ihre Beschwerde wurde nicht gesendet, weil ein Feld ausgefüllt war, das leer bleiben muss (es ist für Menschen unsichtbar und soll automatischen Spam abfangen). Bitte senden Sie das Formular noch einmal und lassen Sie es leer.

complaint-done-title = Danke, wir haben Ihre Beschwerde erhalten
complaint-done-reference = Ihre Vorgangsnummer lautet
complaint-done-next-heading = Wie es weitergeht
complaint-done-next = { $owner } kümmert sich um Ihren Vorgang und meldet sich innerhalb von { $target } bei Ihnen, spätestens { $due }.
complaint-done-email = Dasselbe haben wir Ihnen an { $email } geschickt.
complaint-done-status = Auf Ihrer privaten Seite verfolgen Sie Ihren Vorgang und schicken uns jederzeit eine Nachricht oder ein Foto:
complaint-done-status-hint = Geben Sie diesen Link nicht weiter: Wer ihn hat, sieht Ihren Vorgang.
complaint-done-reward = Weil Sie es uns so bald nach dem Vorfall gesagt haben, haben wir Ihrem Konto { $points } Punkte gutgeschrieben.

target-days = { $n ->
    [one] einem Werktag
   *[other] { $n } Werktagen
}
target-hours = { $n ->
    [one] einer Arbeitsstunde
   *[other] { $n } Arbeitsstunden
}
target-minutes = { $n ->
    [one] einer Arbeitsminute
   *[other] { $n } Arbeitsminuten
}

## Die private Statusseite

status-title = Ihr Vorgang { $reference }
status-reported = Was Sie uns gesagt haben
status-reported-on = Gemeldet am { $date }
status-order = Ihre Bestell- oder Referenznummer
status-progress = Fortschritt
status-received = Eingegangen
status-looking = { $owner } kümmert sich darum
status-looking-due = { $owner } meldet sich bis { $due } bei Ihnen.
status-action = Maßnahme vereinbart
status-preventive = Wir sorgen dafür, dass es nicht wieder vorkommt
status-resolved = Erledigt
status-closed = Abgeschlossen
status-now = aktuell
status-messages = Nachrichten
status-messages-none = Noch keine Nachrichten.
status-from-you = Sie
status-from-us = { $name }, { $org }
status-call-in = Sie haben uns angerufen.
status-call-out = Wir haben mit Ihnen gesprochen.
status-visit = Sie haben persönlich mit uns gesprochen.
status-files = Von Ihnen gesendete Dateien
status-add = Schreiben Sie uns
status-add-hint = Ihre Nachricht geht direkt an { $owner }, die Ansprechperson für Ihren Vorgang.
status-message = Ihre Nachricht
status-add-files = Fotos oder Belege anhängen
status-send = Nachricht senden
status-sent = Danke: Ihre Nachricht ist bei { $owner } angekommen.
status-missing-message = Bitte schreiben Sie eine Nachricht oder hängen Sie eine Datei an.
status-not-found-heading = Seite nicht gefunden
status-not-found = Dieser Link führt zu keinem Vorgang. Prüfen Sie, ob er vollständig kopiert wurde; Links können auch zurückgezogen werden.

## Die Umfrage

survey-code-title = Möchten Sie an einer Umfrage teilnehmen?
survey-code-intro = Geben Sie das Kennwort ein, das Sie erhalten haben.
survey-code-label = Kennwort
survey-code-hint = Groß- oder Kleinbuchstaben, mit oder ohne Bindestriche.
survey-start = Umfrage beginnen
survey-rating-hint = 1 ist sehr schlecht, 5 ist ausgezeichnet.
survey-nps-hint = 0 ist überhaupt nicht wahrscheinlich, 10 ist äußerst wahrscheinlich.
survey-send = Antworten senden
survey-thanks-title = Vielen Dank
survey-thanks-reward = Als Dankeschön haben wir Ihrem Konto { $points } Punkte gutgeschrieben.
survey-refused = Dieses Kennwort gilt nicht. Prüfen Sie es und versuchen Sie es noch einmal, oder bitten Sie uns um ein neues.
survey-too-many = Zu viele falsche Kennwörter von hier. Bitte versuchen Sie es in { $seconds } Sekunden noch einmal.

## Der förmliche Maßnahmenbericht

report-title = Förmlicher Maßnahmenbericht
report-reference = Vorgangsnummer { $reference } · { $date }
report-intro = Danke, dass Sie uns gesagt haben, was nicht in Ordnung war. Dieser Bericht legt dar, was passiert ist und zu welchen Maßnahmen wir uns verpflichtet haben.
report-what = Was passiert ist
report-actions = Unsere Maßnahmen
report-contact = Ihre Ansprechperson
report-print = Mit dem Druckbefehl Ihres Browsers erhalten Sie eine Papierfassung.
report-not-found-heading = Bericht nicht gefunden
report-not-found = Dieser Link führt zu keinem Bericht. Prüfen Sie, ob er vollständig kopiert wurde.

## Antworten zum Vorgang

reply-subject = Ihr Vorgang [{ $reference }]
