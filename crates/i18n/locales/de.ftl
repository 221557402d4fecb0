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
