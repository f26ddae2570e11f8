import Testing
@testable import SensorBridgeServer

struct SubprotocolChoiceTests {
    @Test func theOriginalPagesOfferGetsChat() {
        let choice = SubprotocolChoice(headerValues: ["soap, chat"])
        #expect(choice.chosen == "chat")
        #expect(choice.offered == ["soap", "chat"])
        #expect(choice.refused == ["soap"])
        #expect(choice.stream == .perSample)
    }

    @Test func noOfferNoHeader() {
        let choice = SubprotocolChoice(headerValues: [])
        #expect(choice.chosen == nil)
        #expect(choice.refused.isEmpty)
    }

    @Test func onlyUnknownOffersGetNoHeaderAndAreReportedRefused() {
        let choice = SubprotocolChoice(headerValues: ["soap", "wamp"])
        #expect(choice.chosen == nil)
        #expect(choice.refused == ["soap", "wamp"])
    }

    @Test func theBatchedStreamIsPreferredWhenOfferedAlongsideChat() {
        let choice = SubprotocolChoice(headerValues: ["chat,sensorbridge.batch.v1"])
        #expect(choice.chosen == "sensorbridge.batch.v1")
        #expect(choice.stream == .batched)
    }

    @Test func namesAreCaseSensitiveAndNeverInvented() {
        #expect(SubprotocolChoice(headerValues: ["Chat"]).chosen == nil)
        #expect(SubprotocolChoice(headerValues: [" , ,"]).chosen == nil)
        #expect(SubprotocolChoice(headerValues: ["soap", " chat "]).chosen == "chat")
    }
}
