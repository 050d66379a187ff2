import Testing
@testable import RentGuardCore

@Suite("Ledger report periods")
struct ReportPeriodTests {
    let ends = ReportsConfig.defaultPeriodEndDays

    func d(_ s: String) -> CivilDate { CivilDate(s)! }

    @Test func civilDatesRoundTrip() {
        #expect(CivilDate(dayNumber: 0).description == "1970-01-01")
        #expect(d("2026-03-01").dayNumber == 20513)
        for n in stride(from: Int64(-800), to: 80_000, by: 37) { #expect(CivilDate(dayNumber: n).dayNumber == n) }
        #expect(CivilDate("2026-02-29") == nil)
        #expect(CivilDate("2024-02-29") != nil)
        #expect(CivilDate("2026-3-1") == nil)
        #expect(CivilDate.daysIn(year: 2100, month: 2) == 28)
        #expect(CivilDate.daysIn(year: 2000, month: 2) == 29)
    }

    @Test func theOrdinancePeriods() {
        #expect(ReportPeriod(containing: d("2026-03-01"), endDays: ends).id == "2026-03-01_2026-03-09")
        #expect(ReportPeriod(containing: d("2026-03-09"), endDays: ends).id == "2026-03-01_2026-03-09")
        #expect(ReportPeriod(containing: d("2026-03-10"), endDays: ends).id == "2026-03-10_2026-03-19")
        #expect(ReportPeriod(containing: d("2026-03-20"), endDays: ends).id == "2026-03-20_2026-03-31")
        #expect(ReportPeriod(containing: d("2026-03-31"), endDays: ends).id == "2026-03-20_2026-03-31")
        #expect(ReportPeriod(containing: d("2026-02-25"), endDays: ends).id == "2026-02-20_2026-02-28")
        #expect(ReportPeriod(containing: d("2024-02-29"), endDays: ends).id == "2024-02-20_2024-02-29")
    }

    @Test func everyDayOfAYearIsInExactlyOnePeriodThreeAMonth() {
        var p = ReportPeriod(containing: d("2026-01-01"), endDays: ends)
        var count = 0
        var day = d("2026-01-01").dayNumber
        while p.first.year == 2026 {
            #expect(p.first.dayNumber == day)
            day = p.last.dayNumber + 1
            count += 1
            p = p.next(endDays: ends)
        }
        #expect(count == 36)
        #expect(day == d("2027-01-01").dayNumber)
        #expect(ReportPeriod(containing: d("2026-03-10"), endDays: ends).previous(endDays: ends).id == "2026-03-01_2026-03-09")
        #expect(ReportPeriod(containing: d("2026-03-01"), endDays: ends).previous(endDays: ends).id == "2026-02-20_2026-02-28")
    }

    @Test func configuredDaysBeyondAShortMonthAreIgnored() {
        let e = [9, 19, 29]
        #expect(ReportPeriod(containing: d("2026-03-30"), endDays: e).id == "2026-03-30_2026-03-31")
        #expect(ReportPeriod(containing: d("2026-02-28"), endDays: e).id == "2026-02-20_2026-02-28")
        #expect(ReportsConfig(periodEndDays: [19, 9]).periodEndDaysProblem != nil)
        #expect(ReportsConfig(periodEndDays: [0]).periodEndDaysProblem != nil)
        #expect(ReportsConfig(periodEndDays: [31]).periodEndDaysProblem != nil)
        #expect(ReportsConfig().periodEndDaysProblem == nil)
    }

    @Test func localMidnightBoundsInTheGatewayZone() {
        let p = ReportPeriod(containing: d("2026-03-05"), endDays: ends)
        let cst = LocalTimeZone.chinaStandardTime
        // 2026-03-01T00:00+08:00 and 2026-03-10T00:00+08:00.
        #expect(p.start(in: cst) == 1_772_294_400_000)
        #expect(p.end(in: cst) == 1_773_072_000_000)
        #expect(ReportPeriod(containing: p.end(in: cst) - 1, zone: cst, endDays: ends) == p)
        #expect(ReportPeriod(containing: p.end(in: cst), zone: cst, endDays: ends) == p.next(endDays: ends))
        #expect(ReportPeriod(containing: p.start(in: .utc), zone: cst, endDays: ends) == p)  // 08:00 local on the 1st
    }

    @Test func parsing() {
        #expect(ReportPeriod(parsing: "2026-03-05", endDays: ends)?.id == "2026-03-01_2026-03-09")
        #expect(ReportPeriod(parsing: "2026-03-01_2026-03-31", endDays: ends)?.id == "2026-03-01_2026-03-31")
        #expect(ReportPeriod(parsing: "2026-03-01..2026-03-31", endDays: ends)?.id == "2026-03-01_2026-03-31")
        #expect(ReportPeriod(parsing: "2026-03-31_2026-03-01", endDays: ends) == nil)
        #expect(ReportPeriod(parsing: "march", endDays: ends) == nil)
        #expect(ReportPeriod(parsing: "2026-02-30", endDays: ends) == nil)
    }
}
