"""The working-day calendar: one editable calendar for the phone line, the rota and anything counting working days.

Seeded per year from the `holidays` library (the State Council's arrangements,
announced each November), edited and confirmed by managers on the rota's
calendar page. The line's opening hours, the rota's pattern and any deadline in
working days all read it (`services.day_info`, `services.is_working_day`,
`services.add_working_days`).
"""
