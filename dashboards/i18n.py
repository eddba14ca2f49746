"""Every label of the dashboards, in Dutch (default) and English.

One table, one lookup: `t("key")` in the language picked in the sidebar. A test checks
that every key has both languages and that every key the code uses exists here.
"""

from __future__ import annotations

import functools
from typing import Any

from babel import Locale

LANGUAGES: dict[str, str] = {"nl": "Nederlands", "en": "English"}
DEFAULT_LANGUAGE = "nl"
LANGUAGE_STATE_KEY = "lang"

TRANSLATIONS: dict[str, dict[str, str]] = {
    # app frame
    "app.title": {"nl": "Leerdata — dashboards", "en": "Leerdata — dashboards"},
    "app.language": {"nl": "Taal / Language", "en": "Taal / Language"},
    "app.build": {"nl": "Build van {built_at}", "en": "Build of {built_at}"},
    "app.no_warehouse": {
        "nl": "Er is nog geen gepubliceerde warehouse in {path}. Draai eerst `leerdata build`.",
        "en": "There is no published warehouse at {path} yet. Run `leerdata build` first.",
    },
    "app.mart_missing": {
        "nl": "De tabel {name} ontbreekt in deze build; deze weergave is nog niet beschikbaar.",
        "en": "The table {name} is missing from this build; this view is not available yet.",
    },
    "app.table_truncated": {
        "nl": "De eerste {shown} van {total} rijen; verfijn de selectie om de rest te zien.",
        "en": "The first {shown} of {total} rows; narrow the selection to see the rest.",
    },
    "app.no_data": {
        "nl": "Geen gegevens voor deze selectie.",
        "en": "No data for this selection.",
    },
    "app.aggregates_only": {
        "nl": "Beschermde aggregaten. Alle aantallen zijn licht verstoord (celsleutelmethode, "
        "hooguit 2 erbij of eraf; een klein aantal verschijnt nooit als 1 of 2), steeds op "
        "dezelfde manier voor dezelfde personen, zodat niemand uit deze tabellen kan afleiden "
        "over wie het gaat. Percentages en gemiddelden staan er alleen bij minstens {k} "
        "personen; een enkele cel die anders terug te rekenen is, is onderdrukt. Totalen "
        "tellen daardoor niet altijd precies op.",
        "en": "Protected aggregates. Every count is slightly perturbed (cell key method, at "
        "most 2 up or down; a small count never shows as 1 or 2), always the same way for the "
        "same persons, so nobody can learn from these tables who is in them. Rates and means "
        "are shown only over at least {k} persons; the odd cell that could otherwise be "
        "recomputed is suppressed. Totals therefore do not always add up exactly.",
    },
    # pages
    "page.overzicht": {"nl": "Overzicht", "en": "Overview"},
    "page.deelname": {"nl": "Deelname", "en": "Participation"},
    "page.verrekening": {"nl": "Verrekening", "en": "Settlement"},
    "page.factuurcontrole": {"nl": "Factuurcontrole", "en": "Invoice checks"},
    "page.evaluatie": {"nl": "Evaluatie", "en": "Evaluation"},
    "page.datakwaliteit": {"nl": "Datakwaliteit", "en": "Data quality"},
    # an address the viewer cannot open (dashboards/unavailable.py)
    "unavailable.not_allowed.title": {"nl": "Geen toegang", "en": "No access"},
    "unavailable.not_allowed.body": {
        "nl": "Uw rol geeft geen toegang tot de pagina {page}.",
        "en": "Your role does not give access to the page {page}.",
    },
    "unavailable.not_found.title": {"nl": "Pagina niet gevonden", "en": "Page not found"},
    "unavailable.not_found.body": {
        "nl": "Er is geen pagina {page}. Controleer het adres of kies een pagina in het menu.",
        "en": "There is no page {page}. Check the address or pick a page from the menu.",
    },
    "unavailable.back": {"nl": "Terug naar {page}", "en": "Back to {page}"},
    # roles and login
    "auth.role": {"nl": "Rol", "en": "Role"},
    "auth.demo_mode": {
        "nl": "Lokale demomodus — geen inlog. Kies hieronder een rol; in productie komt de "
        "rol uit de inlog (OIDC) en config/roles.toml.",
        "en": "Local demo mode — no login. Pick a role below; in production the role comes "
        "from the login (OIDC) and config/roles.toml.",
    },
    "auth.demo_role": {"nl": "Rol (demomodus)", "en": "Role (demo mode)"},
    "auth.demo_disabled": {
        "nl": "Er is geen inlogprovider ingesteld en de demomodus staat uit "
        "(config/roles.toml). Neem contact op met de beheerder.",
        "en": "No login provider is configured and demo mode is off (config/roles.toml). "
        "Contact the administrator.",
    },
    "auth.please_login": {
        "nl": "Log in om de dashboards te zien.",
        "en": "Log in to see the dashboards.",
    },
    "auth.login": {"nl": "Inloggen", "en": "Log in"},
    "auth.logout": {"nl": "Uitloggen", "en": "Log out"},
    "auth.logged_in_as": {"nl": "Ingelogd als {email}", "en": "Logged in as {email}"},
    "auth.no_role": {
        "nl": "Aan {email} is geen rol toegekend (config/roles.toml).",
        "en": "No role is assigned to {email} (config/roles.toml).",
    },
    "auth.authlib_missing": {
        "nl": "Inloggen via OIDC vraagt het pakket Authlib (uv add authlib).",
        "en": "OIDC login needs the Authlib package (uv add authlib).",
    },
    # filters
    "filter.quarter": {"nl": "Kwartaal", "en": "Quarter"},
    "filter.quarters": {"nl": "Kwartalen", "en": "Quarters"},
    "filter.departments": {"nl": "Departementen", "en": "Departments"},
    "filter.dimension": {"nl": "Uitsplitsing", "en": "Breakdown"},
    "filter.supplier": {"nl": "Leverancier", "en": "Supplier"},
    "filter.all_suppliers": {"nl": "Alle leveranciers", "en": "All suppliers"},
    "filter.status": {"nl": "Status", "en": "Status"},
    "filter.months": {"nl": "Factuurmaanden", "en": "Invoice months"},
    "filter.metric": {"nl": "Rangschikken op", "en": "Rank by"},
    "filter.worst_first": {"nl": "Slechtste eerst", "en": "Worst first"},
    "filter.department": {"nl": "Departement", "en": "Department"},
    # shared column labels
    "col.quarter": {"nl": "Kwartaal", "en": "Quarter"},
    "col.department": {"nl": "Departement", "en": "Department"},
    "col.participants": {"nl": "Deelnemers", "en": "Participants"},
    "col.enrolments": {"nl": "Inschrijvingen", "en": "Enrolments"},
    "col.training_hours": {"nl": "Opleidingsuren", "en": "Training hours"},
    "col.spend": {"nl": "Uitgaven", "en": "Spend"},
    "col.amount": {"nl": "Bedrag", "en": "Amount"},
    "col.creditor": {"nl": "Crediteur (ontvangt)", "en": "Creditor (receives)"},
    "col.debtor": {"nl": "Debiteur (betaalt)", "en": "Debtor (pays)"},
    "col.course": {"nl": "Cursus", "en": "Course"},
    "col.course_id": {"nl": "Cursuscode", "en": "Course id"},
    "col.supplier": {"nl": "Leverancier", "en": "Supplier"},
    "col.category": {"nl": "Categorie", "en": "Category"},
    "col.invoice": {"nl": "Factuur", "en": "Invoice"},
    "col.issue_date": {"nl": "Factuurdatum", "en": "Issue date"},
    "col.status": {"nl": "Status", "en": "Status"},
    "col.line": {"nl": "Regel", "en": "Line"},
    "col.order_ref": {"nl": "Orderreferentie", "en": "Order reference"},
    "col.invoiced": {"nl": "Gefactureerd", "en": "Invoiced"},
    "col.expected": {"nl": "Verwacht", "en": "Expected"},
    "col.approved": {"nl": "Goedgekeurd", "en": "Approved"},
    "col.disputed": {"nl": "Betwist", "en": "Disputed"},
    "col.on_hold": {"nl": "In de wacht", "en": "On hold"},
    "col.verdict": {"nl": "Oordeel", "en": "Verdict"},
    "col.reasons": {"nl": "Redenen", "en": "Reasons"},
    "col.invoices": {"nl": "Facturen", "en": "Invoices"},
    "col.month": {"nl": "Maand", "en": "Month"},
    "col.completion_rate": {"nl": "Afronding", "en": "Completion"},
    "col.attendance_rate": {"nl": "Aanwezigheid", "en": "Attendance"},
    "col.no_show_rate": {"nl": "No-show", "en": "No-show"},
    "col.completion_days": {
        "nl": "Dagen van inschrijving tot afronding",
        "en": "Days from enrolment to completion",
    },
    "col.pass_rate": {"nl": "Slagingspercentage", "en": "Pass rate"},
    "col.satisfaction": {"nl": "Tevredenheid (1–10)", "en": "Satisfaction (1–10)"},
    "col.nps": {"nl": "NPS", "en": "NPS"},
    "col.responses": {"nl": "Evaluaties", "en": "Responses"},
    "col.cost_per_completion": {"nl": "Kosten per afronding", "en": "Cost per completion"},
    "col.rank": {"nl": "Positie", "en": "Rank"},
    "col.net_position": {"nl": "Nettopositie", "en": "Net position"},
    "col.receivable": {"nl": "Te ontvangen", "en": "Receivable"},
    "col.payable": {"nl": "Te betalen", "en": "Payable"},
    "col.counterparty": {"nl": "Tegenpartij", "en": "Counterparty"},
    "col.counterparty_name": {"nl": "Naam tegenpartij", "en": "Counterparty name"},
    "col.direction": {"nl": "Richting", "en": "Direction"},
    "col.cost_type": {"nl": "Kostensoort", "en": "Cost type"},
    "col.source": {"nl": "Bron", "en": "Source"},
    "col.file": {"nl": "Bestand", "en": "File"},
    "col.reason": {"nl": "Reden", "en": "Reason"},
    "col.rows": {"nl": "Rijen", "en": "Rows"},
    "col.rows_read": {"nl": "Gelezen", "en": "Read"},
    "col.rows_loaded": {"nl": "Geladen", "en": "Loaded"},
    "col.rows_quarantined": {"nl": "In quarantaine", "en": "Quarantined"},
    "col.conserved": {"nl": "Sluit", "en": "Adds up"},
    "col.load_status": {"nl": "Laadstatus", "en": "Load status"},
    "col.loaded_at": {"nl": "Geladen op", "en": "Loaded at"},
    "col.files": {"nl": "Bestanden", "en": "Files"},
    "col.newest_file_date": {"nl": "Nieuwste bestandsdatum", "en": "Newest file date"},
    "col.age_days": {"nl": "Leeftijd (dagen)", "en": "Age (days)"},
    "col.value": {"nl": "Waarde", "en": "Value"},
    "col.name": {"nl": "Naam", "en": "Name"},
    "col.run_at": {"nl": "Uitgevoerd op", "en": "Run at"},
    "col.run_kind": {"nl": "Soort", "en": "Kind"},
    "col.as_of_date": {"nl": "Peildatum", "en": "As of"},
    "col.persons_erased": {"nl": "Personen gewist", "en": "Persons erased"},
    "col.enrolments_unlinked": {"nl": "Inschrijvingen ontkoppeld", "en": "Enrolments unlinked"},
    "col.person_years_after_exit": {
        "nl": "Bewaartermijn persoon (jaren na uitdienst)",
        "en": "Person retention (years after exit)",
    },
    "col.enrolment_link_months": {
        "nl": "Bewaartermijn koppeling (maanden)",
        "en": "Link retention (months)",
    },
    "run.retention": {"nl": "bewaartermijn", "en": "retention"},
    "run.erasure": {"nl": "verwijderverzoek", "en": "erasure request"},
    # values
    "value.suppressed": {"nl": "onderdrukt", "en": "suppressed"},
    "value.yes": {"nl": "ja", "en": "yes"},
    "value.no": {"nl": "nee", "en": "no"},
    "value.receivable": {"nl": "te ontvangen van", "en": "receivable from"},
    "value.payable": {"nl": "te betalen aan", "en": "payable to"},
    "status.approved": {"nl": "goedgekeurd", "en": "approved"},
    "status.partially_disputed": {"nl": "deels betwist", "en": "partially disputed"},
    "status.disputed": {"nl": "betwist", "en": "disputed"},
    "status.on_hold": {"nl": "in de wacht", "en": "on hold"},
    "dim.department_code": {"nl": "Departement", "en": "Department"},
    "dim.directorate": {"nl": "Directie", "en": "Directorate"},
    "dim.scale_band": {"nl": "Schaalgroep", "en": "Salary scale band"},
    "dim.age_band": {"nl": "Leeftijdsgroep", "en": "Age band"},
    "dim.gender": {"nl": "Geslacht", "en": "Gender"},
    "dim.delivery_mode": {"nl": "Leervorm", "en": "Delivery mode"},
    # Overzicht
    "overzicht.title": {"nl": "Overzicht", "en": "Overview"},
    "overzicht.intro": {
        "nl": "Kerncijfers van {quarter}, met de verandering ten opzichte van {previous}.",
        "en": "Headline figures for {quarter}, with the change since {previous}.",
    },
    "overzicht.intro_first": {
        "nl": "Kerncijfers van {quarter} (geen eerder kwartaal om mee te vergelijken).",
        "en": "Headline figures for {quarter} (no earlier quarter to compare with).",
    },
    "overzicht.participants": {"nl": "Deelnemers", "en": "Participants"},
    "overzicht.spend": {"nl": "Uitgaven (verrekend)", "en": "Spend (settled)"},
    "overzicht.completion": {"nl": "Afronding", "en": "Completion"},
    "overzicht.open_disputes": {"nl": "Betwiste facturen", "en": "Disputed invoices"},
    "overzicht.disputed_amount": {"nl": "Betwist bedrag", "en": "Disputed amount"},
    "overzicht.trend": {"nl": "Verloop per kwartaal", "en": "Trend per quarter"},
    "overzicht.participants_help": {
        "nl": "Som van de departementstotalen die niet zijn onderdrukt.",
        "en": "Sum of the department totals that are not suppressed.",
    },
    "overzicht.suppressed_departments": {
        "nl": "{n} van {total} departementstotalen onderdrukt in {quarter} (anders terug te "
        "rekenen; drempel {k} personen); deelnemers en afronding tellen alleen de "
        "gepubliceerde totalen.",
        "en": "{n} of {total} department totals suppressed in {quarter} (could otherwise be "
        "recomputed; threshold {k} persons); participants and completion count the published "
        "totals only.",
    },
    "overzicht.spend_help": {
        "nl": "Verrekende kosten (goedgekeurde factuurregels en interne cursussen) van "
        "sessies die in het kwartaal begonnen.",
        "en": "Settled cost (approved invoice lines and internal courses) of sessions that "
        "started in the quarter.",
    },
    "overzicht.disputes_help": {
        "nl": "Facturen met dagtekening in het kwartaal die (deels) betwist zijn.",
        "en": "Invoices issued in the quarter that are (partially) disputed.",
    },
    "overzicht.trend_participants": {
        "nl": "Deelnemers per kwartaal (gepubliceerde departementstotalen)",
        "en": "Participants per quarter (published department totals)",
    },
    "overzicht.not_comparable": {
        "nl": "Geen pijl bij deelnemers en afronding: in {previous} zijn andere "
        "departementen onderdrukt, dus de verandering zou niet vergelijkbaar zijn.",
        "en": "No arrow for participants and completion: other departments are suppressed "
        "in {previous}, so the change would not compare like with like.",
    },
    "unit.pp": {"nl": " %-punt", "en": " pp"},
    "overzicht.trend_spend": {"nl": "Uitgaven per kwartaal", "en": "Spend per quarter"},
    # Deelname
    "deelname.title": {"nl": "Deelname en uitgaven", "en": "Participation and spend"},
    "deelname.over_time": {
        "nl": "Deelnemers per kwartaal en departement",
        "en": "Participants per quarter and department",
    },
    "deelname.spend_over_time": {
        "nl": "Uitgaven per kwartaal en departement",
        "en": "Spend per quarter and department",
    },
    "deelname.by_dimension": {
        "nl": "Deelnemers naar {dimension}",
        "en": "Participants by {dimension}",
    },
    "deelname.tab_over_time": {"nl": "Per departement", "en": "Per department"},
    "deelname.tab_breakdown": {"nl": "Naar kenmerk", "en": "By characteristic"},
    "deelname.table": {"nl": "Tabel", "en": "Table"},
    # Verrekening
    "verrekening.title": {
        "nl": "Verrekening tussen departementen",
        "en": "Inter-department settlement",
    },
    "verrekening.matrix": {
        "nl": "Verrekenmatrix {quarter}: debiteur (rij) betaalt crediteur (kolom)",
        "en": "Settlement matrix {quarter}: debtor (row) pays creditor (column)",
    },
    "verrekening.lookup": {
        "nl": "Wat is departement A aan B verschuldigd?",
        "en": "What does A owe B?",
    },
    "verrekening.owes": {
        "nl": "{debtor} is {creditor} verschuldigd in {quarter}",
        "en": "{debtor} owes {creditor} in {quarter}",
    },
    "verrekening.net": {"nl": "Nettopositie per departement", "en": "Net position per department"},
    "verrekening.net_help": {
        "nl": "Te ontvangen (als crediteur) min te betalen (als debiteur); kosten binnen "
        "hetzelfde departement tellen niet mee.",
        "en": "Receivable (as creditor) minus payable (as debtor); costs within one "
        "department are left out.",
    },
    "verrekening.statement": {"nl": "Afrekening per departement", "en": "Statement per department"},
    "verrekening.download_csv": {
        "nl": "Download afrekening (CSV)",
        "en": "Download statement (CSV)",
    },
    "verrekening.download_xlsx": {
        "nl": "Download afrekening (Excel)",
        "en": "Download statement (Excel)",
    },
    "verrekening.pairs": {"nl": "Bedragen per paar", "en": "Amounts per pair"},
    "verrekening.total": {
        "nl": "Totaal verrekend in {quarter}",
        "en": "Total settled in {quarter}",
    },
    # Factuurcontrole
    "factuur.tab_disputes": {"nl": "Geschillen per leverancier", "en": "Disputes per supplier"},
    "factuur.tab_invoices": {"nl": "Facturen", "en": "Invoices"},
    "factuur.tab_net": {"nl": "Nettopositie", "en": "Net position"},
    "factuur.tab_file": {"nl": "Geschillenbestand", "en": "Dispute file"},
    "factuur.title": {"nl": "Factuurcontrole", "en": "Invoice checks"},
    "factuur.approved_total": {"nl": "Goedgekeurd", "en": "Approved"},
    "factuur.disputed_total": {"nl": "Betwist", "en": "Disputed"},
    "factuur.on_hold_total": {"nl": "In de wacht", "en": "On hold"},
    "factuur.by_supplier": {
        "nl": "Facturen per status en leverancier",
        "en": "Invoices by status and supplier",
    },
    "factuur.by_month": {
        "nl": "Facturen per status en maand",
        "en": "Invoices by status and month",
    },
    "factuur.invoices": {"nl": "Facturen", "en": "Invoices"},
    "factuur.drilldown": {"nl": "Regels van factuur", "en": "Lines of invoice"},
    "factuur.pick_invoice": {"nl": "Kies een factuur", "en": "Pick an invoice"},
    "factuur.invoice_reasons": {
        "nl": "Redenen op factuurniveau: {reasons}",
        "en": "Invoice-level reasons: {reasons}",
    },
    "factuur.disputes": {"nl": "Betwiste regels", "en": "Disputed lines"},
    "factuur.download_disputes_csv": {
        "nl": "Download geschillenbestand {supplier} (CSV)",
        "en": "Download dispute file {supplier} (CSV)",
    },
    "factuur.download_disputes_xlsx": {
        "nl": "Download geschillenbestand {supplier} (Excel)",
        "en": "Download dispute file {supplier} (Excel)",
    },
    "factuur.pick_supplier_for_file": {
        "nl": "Kies in de zijbalk een leverancier voor het geschillenbestand.",
        "en": "Pick a supplier in the sidebar for the dispute file.",
    },
    "factuur.no_disputes": {
        "nl": "Geen betwiste regels voor deze selectie.",
        "en": "No disputed lines for this selection.",
    },
    # invoice reason codes (Dutch labels as in seeds/invoice_reason_codes.csv; a test
    # keeps them equal)
    "reason.UNKNOWN_REFERENCE": {"nl": "Onbekende referentie", "en": "Unknown reference"},
    "reason.SUPPLIER_MISMATCH": {"nl": "Andere leverancier", "en": "Different supplier"},
    "reason.NOT_ENROLLED": {"nl": "Niet ingeschreven", "en": "Not enrolled"},
    "reason.CANCELLED_IN_TIME": {"nl": "Tijdig geannuleerd", "en": "Cancelled in time"},
    "reason.SESSION_CANCELLED": {
        "nl": "Sessie geannuleerd door leverancier",
        "en": "Session cancelled by supplier",
    },
    "reason.DUPLICATE_LINE": {"nl": "Dubbel gefactureerd", "en": "Invoiced twice"},
    "reason.QUANTITY_MISMATCH": {"nl": "Afwijkend aantal", "en": "Quantity is not 1"},
    "reason.ARITHMETIC_ERROR": {"nl": "Rekenfout", "en": "Arithmetic error"},
    "reason.PRICE_MISMATCH": {"nl": "Te hoge prijs", "en": "Price too high"},
    "reason.VAT_MISMATCH": {"nl": "Afwijkend btw-tarief", "en": "Wrong VAT rate"},
    "reason.NOT_YET_DELIVERED": {"nl": "Nog niet geleverd", "en": "Not yet delivered"},
    "reason.TOTAL_MISMATCH": {"nl": "Totaal klopt niet", "en": "Total does not add up"},
    "reason.VAT_TOTAL_MISMATCH": {
        "nl": "Btw-specificatie klopt niet",
        "en": "VAT breakdown does not add up",
    },
    "reason.CHARGE_NOT_AGREED": {
        "nl": "Toeslag niet overeengekomen",
        "en": "Charge not agreed",
    },
    "reason.CREDIT_WITHOUT_REFERENCE": {
        "nl": "Creditnota zonder bruikbare verwijzing",
        "en": "Credit note without a usable reference",
    },
    "value.unknown_supplier": {"nl": "(onbekende leverancier)", "en": "(unknown supplier)"},
    "factuur.count": {"nl": "Facturen", "en": "Invoices"},
    "col.reasons_nl": {"nl": "Toelichting", "en": "Explanation (Dutch)"},
    "verdict.approved": {"nl": "goedgekeurd", "en": "approved"},
    "verdict.disputed": {"nl": "betwist", "en": "disputed"},
    "verdict.on_hold": {"nl": "in de wacht", "en": "on hold"},
    "verdict.netted": {"nl": "verrekend", "en": "netted"},
    "document.invoice": {"nl": "factuur", "en": "invoice"},
    "document.credit_note": {"nl": "creditnota", "en": "credit note"},
    "document.corrective_invoice": {"nl": "correctiefactuur", "en": "corrective invoice"},
    "factuur.net_positions": {
        "nl": "Nettopositie per leverancier (na creditnota's en correcties)",
        "en": "Net position per supplier (after credit notes and corrections)",
    },
    "col.document_type": {"nl": "Soort document", "en": "Document type"},
    "col.corrects": {"nl": "Corrigeert factuur", "en": "Corrects invoice"},
    "col.adjusted_by": {"nl": "Verrekend met", "en": "Netted with"},
    "col.net_verdict": {"nl": "Oordeel netto", "en": "Net verdict"},
    "col.credit_notes": {"nl": "Creditnota's", "en": "Credit notes"},
    "col.credited": {"nl": "Gecrediteerd", "en": "Credited"},
    "col.net_approved": {"nl": "Netto goedgekeurd", "en": "Net approved"},
    "col.net_disputed": {"nl": "Netto betwist", "en": "Net disputed"},
    "col.unplaced_credit": {"nl": "Niet te verrekenen credit", "en": "Credit not placeable"},
    "col.settled_lines": {"nl": "Afgewikkelde regels", "en": "Settled lines"},
    "verdict.settled": {"nl": "afgewikkeld", "en": "settled"},
    # Evaluatie
    "evaluatie.title": {
        "nl": "Evaluatie van cursussen en leveranciers",
        "en": "Course and supplier evaluation",
    },
    "evaluatie.granularity": {"nl": "Periode per", "en": "Period by"},
    "evaluatie.period": {"nl": "Periode", "en": "Period"},
    "evaluatie.per_quarter": {"nl": "kwartaal", "en": "quarter"},
    "evaluatie.per_year": {"nl": "jaar", "en": "year"},
    "evaluatie.no_score": {"nl": "geen score", "en": "no score"},
    "evaluatie.courses": {"nl": "Cursussen", "en": "Courses"},
    "evaluatie.suppliers": {"nl": "Leveranciers", "en": "Suppliers"},
    "evaluatie.categories": {"nl": "Categorieën", "en": "Categories"},
    "evaluatie.ranking": {"nl": "Ranglijst op {metric}", "en": "Ranking by {metric}"},
    "evaluatie.chart": {"nl": "{metric} per {level}", "en": "{metric} per {level}"},
    "evaluatie.suppressed_note": {
        "nl": "{n} cellen onderdrukt (anders terug te rekenen); die staan als "
        "'onderdrukt' onderaan de ranglijst. Zonder score: minder dan {k} personen.",
        "en": "{n} cells suppressed (could otherwise be recomputed); they are listed as "
        "'suppressed' at the bottom of the ranking. No score: fewer than {k} persons.",
    },
    # Datakwaliteit
    "kwaliteit.title": {"nl": "Datakwaliteit", "en": "Data quality"},
    "kwaliteit.files": {"nl": "Geladen bestanden", "en": "Files loaded"},
    "kwaliteit.rows_loaded": {"nl": "Rijen geladen", "en": "Rows loaded"},
    "kwaliteit.rows_quarantined": {"nl": "Rijen in quarantaine", "en": "Rows quarantined"},
    "kwaliteit.last_build": {"nl": "Laatste build", "en": "Last build"},
    "kwaliteit.conserved": {
        "nl": "Elke rij is verantwoord: gelezen = geladen + quarantaine, per bestand.",
        "en": "Every row is accounted for: read = loaded + quarantined, per file.",
    },
    "kwaliteit.not_conserved": {
        "nl": "Niet elk bestand sluit: gelezen ≠ geladen + quarantaine. Zie de tabel.",
        "en": "Not every file adds up: read ≠ loaded + quarantined. See the table.",
    },
    "kwaliteit.loads": {"nl": "Ladingen per bestand", "en": "Loads per file"},
    "kwaliteit.quarantine_by_reason": {
        "nl": "Quarantaine per reden",
        "en": "Quarantine by reason",
    },
    "kwaliteit.quarantine_by_file": {
        "nl": "Quarantaine per bestand en reden (alleen aantallen)",
        "en": "Quarantine by file and reason (counts only)",
    },
    "kwaliteit.freshness": {"nl": "Actualiteit per bron", "en": "Freshness per source"},
    "kwaliteit.retention": {"nl": "Bewaartermijn-runs", "en": "Retention runs"},
    "kwaliteit.no_retention": {
        "nl": "Er zijn nog geen bewaartermijn-runs geregistreerd.",
        "en": "No retention runs have been recorded yet.",
    },
    "kwaliteit.build_info": {
        "nl": "Build {build_id} om {time} · dbt {dbt_version} · minimale celgrootte {k}",
        "en": "Build {build_id} at {time} · dbt {dbt_version} · minimum cell size {k}",
    },
    "kwaliteit.no_quarantine": {
        "nl": "Geen rijen in quarantaine.",
        "en": "No rows in quarantine.",
    },
    # issue 14: exports, periods, summaries, translated codes
    "export.title": {"nl": "Bestand", "en": "File"},
    "export.period": {"nl": "Periode", "en": "Period"},
    "export.built_at": {"nl": "Gegevens van build", "en": "Data of build"},
    "export.note": {"nl": "Toelichting", "en": "Note"},
    "export.download_csv": {"nl": "Download CSV", "en": "Download CSV"},
    "export.download_xlsx": {"nl": "Download Excel", "en": "Download Excel"},
    "export.note_finance": {
        "nl": "Financiële gegevens per leverancier en factuur, exact tot op de cent; "
        "geen persoonsgegevens.",
        "en": "Financial data per supplier and invoice, exact to the cent; no personal data.",
    },
    "export.note_protected": {
        "nl": "Beschermde aggregaten: aantallen zijn licht verstoord (celsleutelmethode, "
        "hooguit 2), dus totalen tellen niet altijd op; percentages en gemiddelden alleen "
        "bij minstens {k} personen; een lege cel is onderdrukt, niet 0.",
        "en": "Protected aggregates: counts are slightly perturbed (cell key method, at most "
        "2), so totals do not always add up; rates and means only over at least {k} persons; "
        "an empty cell is suppressed, not 0.",
    },
    "period.running": {"nl": "{period} (lopend)", "en": "{period} (running)"},
    "period.running_note": {
        "nl": "{period} loopt nog (build van {built}): de cijfers zijn onvolledig en "
        "groeien nog; vergelijk ze niet met afgesloten perioden.",
        "en": "{period} is still running (build of {built}): its figures are incomplete "
        "and still growing; do not compare them with closed periods.",
    },
    "filter.all_departments": {"nl": "Alle departementen", "en": "All departments"},
    "overzicht.disputes_all_departments": {
        "nl": "Betwiste facturen gelden voor alle departementen (een factuur hoort bij een "
        "leverancier, niet bij een departement).",
        "en": "Disputed invoices are for all departments (an invoice belongs to a supplier, "
        "not to a department).",
    },
    "deelname.totals_table": {
        "nl": "Totalen per departement en kwartaal",
        "en": "Totals per department and quarter",
    },
    "value.gender.F": {"nl": "Vrouw", "en": "Woman"},
    "value.gender.M": {"nl": "Man", "en": "Man"},
    "value.gender.X": {"nl": "X (anders)", "en": "X (other)"},
    "value.gender.unknown": {"nl": "Onbekend", "en": "Unknown"},
    "value.age_band.unknown": {"nl": "Onbekend", "en": "Unknown"},
    "evaluatie.unscored_note": {
        "nl": "{n} cellen zonder {metric}: minder dan {k} personen; die staan met '–' "
        "onder de gerangschikte cellen.",
        "en": "{n} cells without {metric}: fewer than {k} persons; they are listed with '–' "
        "below the ranked cells.",
    },
    "evaluatie.unscored_note_one": {
        "nl": "1 cel zonder {metric}: minder dan {k} personen; die staat met '–' "
        "onder de gerangschikte cellen.",
        "en": "1 cell without {metric}: fewer than {k} persons; it is listed with '–' "
        "below the ranked cells.",
    },
    "evaluatie.suppressed_note_one": {
        "nl": "1 cel onderdrukt (anders terug te rekenen); die staat als 'onderdrukt' "
        "onderaan de ranglijst. Zonder score: minder dan {k} personen.",
        "en": "1 cell suppressed (could otherwise be recomputed); it is listed as "
        "'suppressed' at the bottom of the ranking. No score: fewer than {k} persons.",
    },
    "verrekening.drilldown": {
        "nl": "Waaruit bestaat het bedrag van {debtor} aan {creditor}? Per cursus en kostensoort",
        "en": "What makes up what {debtor} owes {creditor}? Per course and cost type",
    },
    "col.allocations": {"nl": "Toerekeningen", "en": "Allocations"},
    "cost_type.participation": {"nl": "deelname", "en": "participation"},
    "cost_type.no_show": {"nl": "niet verschenen", "en": "no-show"},
    "cost_type.late_cancellation": {"nl": "late annulering", "en": "late cancellation"},
    "cost_type.session_share": {"nl": "aandeel in sessie", "en": "session share"},
    "cost_type.internal": {"nl": "interne training", "en": "internal training"},
    "factuur.dispute_file": {"nl": "Geschillen {supplier}", "en": "Disputes {supplier}"},
    "factuur.dispute_summary": {
        "nl": "Betwist bedrag per leverancier, met de belangrijkste reden",
        "en": "Disputed amount per supplier, with the main reason",
    },
    "factuur.dispute_summary_help": {
        "nl": "Belangrijkste reden: de reden met het hoogste betwiste bedrag op regels. Een "
        "regel kan meer redenen hebben en telt dan bij elke reden mee.",
        "en": "Main reason: the reason with the largest disputed amount on lines. A line "
        "can have several reasons and then counts for each of them.",
    },
    "factuur.by_reason": {"nl": "Betwist bedrag per reden", "en": "Disputed amount per reason"},
    "factuur.dispute_trend": {
        "nl": "Betwist bedrag per leverancier en kwartaal",
        "en": "Disputed amount per supplier and quarter",
    },
    "col.supplier_name": {"nl": "Naam leverancier", "en": "Supplier name"},
    "col.course_title": {"nl": "Cursus", "en": "Course"},
    "col.dispute_level": {"nl": "Niveau", "en": "Level"},
    "dispute_level.line": {"nl": "regel", "en": "line"},
    "dispute_level.invoice": {"nl": "factuur", "en": "invoice"},
    "col.reason_codes": {"nl": "Redencodes", "en": "Reason codes"},
    "col.disputed_lines": {"nl": "Betwiste regels", "en": "Disputed lines"},
    "col.main_reason": {"nl": "Belangrijkste reden", "en": "Main reason"},
    "col.main_reason_amount": {"nl": "Bedrag met die reden", "en": "Amount with that reason"},
    "col.newest_data": {"nl": "Laatste levering", "en": "Last delivery"},
    "col.files_delivered": {"nl": "Bestanden geleverd", "en": "Files delivered"},
    "col.delivered_at": {"nl": "Laatst binnengekomen", "en": "Last arrived"},
    "kwaliteit.freshness_help": {
        "nl": "Laatste levering: de datum in de naam van het nieuwste geleverde bestand "
        "(facturen: de nieuwste factuurdatum); leeftijd: dagen van die datum tot de build. "
        "Ook een bestand met dezelfde inhoud als een eerder geladen bestand telt als levering "
        "(er wordt dan niets nieuws geladen).",
        "en": "Last delivery: the date in the name of the newest delivered file (invoices: "
        "the newest issue date); age: days from that date to the build. A file with the same "
        "content as one loaded before counts as a delivery too (nothing new is loaded then).",
    },
    "source.hr": {"nl": "HR", "en": "HR"},
    "source.courses": {"nl": "Cursussen", "en": "Courses"},
    "source.suppliers": {"nl": "Leveranciers", "en": "Suppliers"},
    "source.sessions": {"nl": "Sessies", "en": "Sessions"},
    "source.enrolments": {"nl": "Inschrijvingen", "en": "Enrolments"},
    "source.attendance": {"nl": "Aanwezigheid", "en": "Attendance"},
    "source.exam_results": {"nl": "Examenresultaten", "en": "Exam results"},
    "source.evaluations": {"nl": "Evaluaties", "en": "Evaluations"},
    "source.invoices": {"nl": "Facturen", "en": "Invoices"},
    "source.unknown": {"nl": "Onbekend", "en": "Unknown"},
    "load_status.loaded": {"nl": "geladen", "en": "loaded"},
    "load_status.partially_quarantined": {
        "nl": "deels in quarantaine",
        "en": "partly quarantined",
    },
    "load_status.quarantined": {"nl": "in quarantaine", "en": "quarantined"},
    "load_status.empty": {"nl": "leeg", "en": "empty"},
    "load_status.failed": {"nl": "mislukt", "en": "failed"},
}


def current_language() -> str:
    try:
        import streamlit as st

        lang = st.session_state.get(LANGUAGE_STATE_KEY, DEFAULT_LANGUAGE)
    except Exception:  # outside a Streamlit run there is no session
        lang = DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=8)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def t_count(key: str, n: int, lang: str | None = None, **values: Any) -> str:
    """A text about `n` things in the plural form CLDR gives `n` in the language (Babel's
    plural rules): the variant `<key>_<form>` where one exists ("1 cel" is `_one`),
    else `key` ("0 cellen", "2 cellen")."""
    lang = lang or current_language()
    variant = f"{key}_{_locale(lang).plural_form(n)}"
    return t(variant if variant in TRANSLATIONS else key, lang, n=n, **values)


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The label for `key` in `lang` (default: the session's language)."""
    entry = TRANSLATIONS[key]
    text = entry[lang or current_language()]
    return text.format(**values) if values else text
