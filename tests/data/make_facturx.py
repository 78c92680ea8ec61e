"""Writes five Factur-X invoices (EN 16931 profile) with drafthorse, a real
Factur-X writer (PyPI package `drafthorse`), onto a base PDF given as
argument, into the folder given as second argument. Used by tests/import.rs.

  python3 make_facturx.py BASE.pdf OUT_DIR
"""

import os
import sys
from datetime import date
from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentTerms
from drafthorse.models.tradelines import LineItem
from drafthorse.pdf import attach_xml


def invoice(base, out, number, issued, due, net, buyer, siren, street, postcode, city, email):
    doc = Document()
    doc.context.guideline_parameter.id = "urn:cen.eu:en16931:2017"
    doc.header.id = number
    doc.header.type_code = "380"
    doc.header.issue_date_time = issued
    doc.trade.agreement.seller.name = "Atelier Martin SAS"
    doc.trade.agreement.seller.address.country_id = "FR"
    doc.trade.agreement.seller.tax_registrations.add(TaxRegistration(id=("VA", "FR12842156739")))
    doc.trade.agreement.buyer.name = buyer
    if siren:
        doc.trade.agreement.buyer.legal_organization.id = ("0002", siren)
    if street:
        doc.trade.agreement.buyer.address.line_one = street
        doc.trade.agreement.buyer.address.postcode = postcode
        doc.trade.agreement.buyer.address.city_name = city
    doc.trade.agreement.buyer.address.country_id = "FR"
    if email:
        doc.trade.agreement.buyer.electronic_address.uri_ID = ("EM", email)
    li = LineItem()
    li.document.line_id = "1"
    li.product.name = "Prestation"
    li.agreement.net.amount = net
    li.agreement.net.basis_quantity = (Decimal("1.0000"), "C62")
    li.delivery.billed_quantity = (Decimal("1.0000"), "C62")
    li.settlement.trade_tax.type_code = "VAT"
    li.settlement.trade_tax.category_code = "S"
    li.settlement.trade_tax.rate_applicable_percent = Decimal("20.00")
    li.settlement.monetary_summation.total_amount = net
    doc.trade.items.add(li)
    tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
    trade_tax = ApplicableTradeTax()
    trade_tax.calculated_amount = tax
    trade_tax.basis_amount = net
    trade_tax.type_code = "VAT"
    trade_tax.category_code = "S"
    trade_tax.rate_applicable_percent = Decimal("20.00")
    doc.trade.settlement.trade_tax.add(trade_tax)
    doc.trade.settlement.currency_code = "EUR"
    doc.trade.settlement.payment_means.type_code = "58"
    terms = PaymentTerms()
    if due:
        terms.due = due
    else:
        terms.description = "Paiement à réception"
    doc.trade.settlement.terms.add(terms)
    s = doc.trade.settlement.monetary_summation
    s.line_total = net
    s.charge_total = Decimal("0.00")
    s.allowance_total = Decimal("0.00")
    s.tax_basis_total = net
    s.tax_total = (tax, "EUR")
    s.grand_total = net + tax
    s.due_amount = net + tax
    xml = doc.serialize(schema="FACTUR-X_EN16931")
    with open(base, "rb") as f:
        pdf = attach_xml(f.read(), xml, "EN 16931")
    with open(os.path.join(out, number + ".pdf"), "wb") as f:
        f.write(pdf)


base, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
invoice(base, out, "FX-2026-001", date(2026, 9, 1), date(2026, 10, 1), Decimal("1000.00"), "Dupont & Fils SARL",
        "732829320", "12 rue des Lilas", "69003", "Lyon", "compta@dupont.example")
invoice(base, out, "FX-2026-002", date(2026, 9, 15), date(2026, 10, 15), Decimal("250.00"), "Dupont & Fils SARL",
        "732829320", "12 rue des Lilas", "69003", "Lyon", "compta@dupont.example")
invoice(base, out, "FX-2026-003", date(2026, 10, 1), date(2026, 10, 31), Decimal("480.50"), "Garnier Menuiserie",
        "552100554", "5 impasse des Œillets", "38000", "Grenoble", None)
invoice(base, out, "FX-2026-004", date(2026, 10, 5), None, Decimal("75.00"), "Roux Services",
        "404833048", "8 quai du Rhône", "69002", "Lyon", "factures@roux.example")
invoice(base, out, "FX-2026-005", date(2026, 11, 18), date(2026, 12, 18), Decimal("300.00"), "Lumière SAS",
        "443061841", "1 avenue de la Lumière", "69008", "Lyon", None)
print("5")
