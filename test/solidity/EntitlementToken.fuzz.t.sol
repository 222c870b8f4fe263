// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EntitlementToken} from "../../contracts/EntitlementToken.sol";
import {KeyRegistry} from "../../contracts/KeyRegistry.sol";
import {FuzzBase} from "./support/Vm.sol";
import {KeyBatch} from "./support/KeyBatch.sol";

/**
 * @notice Property tests of the entitlement token, one property per test, every input fuzzed:
 * issuance (a leaf is issued at most once, only with a proof of an anchored leaf), transfer (one
 * owner, balances follow), locks (redeemed or revoked tokens never move, sealed tokens move only
 * in custody), royalties (ERC-2981 amounts within bounds for every price) and access control
 * (every role-gated function refuses every other caller with the exact error).
 */
contract EntitlementTokenFuzzTest is FuzzBase {
    address private constant ADMIN = address(0xA11CE);
    address private constant OPERATOR = address(0x0BE7A7);
    address private constant ISSUER = address(0x15501);
    address private constant CUSTODIAN = address(0xC057);
    address private constant BUYER = address(0xB0B);
    uint64 private constant SHOP = 7;

    KeyRegistry private registry;
    EntitlementToken private token;

    function setUp() public {
        registry = new KeyRegistry(ADMIN, ISSUER);
        token = new EntitlementToken(ADMIN, OPERATOR, registry, CUSTODIAN);
    }

    function _anchor(uint64 batchId) private {
        vm.prank(ISSUER);
        registry.anchorBatch(batchId, SHOP, KeyBatch.root(address(registry), SHOP, batchId), KeyBatch.LEAVES);
    }

    function _issueOne(uint64 batchId, uint32 leafIndex, address to) private returns (uint256) {
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, batchId, leafIndex);
        vm.prank(OPERATOR);
        return token.issue(SHOP, batchId, to, indexes, commitments, proof, flags);
    }

    function _issueWhole(uint64 batchId, address to) private returns (uint256) {
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.whole(batchId);
        vm.prank(OPERATOR);
        return token.issue(SHOP, batchId, to, indexes, commitments, proof, flags);
    }

    function _one(uint256 tokenId) private pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = tokenId;
    }

    function _holder(address to) private pure returns (address) {
        return to == address(0) ? BUYER : to;
    }

    // --- issuance ---

    function testFuzz_aLeafIsIssuedAtMostOnce(uint64 batchId, uint32 leafSeed, address firstTo, address secondTo) public {
        vm.assume(batchId != 0);
        uint32 leafIndex = uint32(bound(leafSeed, 0, KeyBatch.LEAVES - 1));
        _anchor(batchId);
        uint256 tokenId = _issueOne(batchId, leafIndex, _holder(firstTo));
        assertEq(tokenId, 1, "first token id");
        assertTrue(token.isIssued(batchId, leafIndex), "leaf marked issued");

        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, batchId, leafIndex);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.LeafAlreadyIssued.selector, batchId, leafIndex));
        token.issue(SHOP, batchId, _holder(secondTo), indexes, commitments, proof, flags);

        // The whole batch, which contains the issued leaf, is refused as a whole.
        (indexes, commitments, proof, flags) = KeyBatch.whole(batchId);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.LeafAlreadyIssued.selector, batchId, leafIndex));
        token.issue(SHOP, batchId, _holder(secondTo), indexes, commitments, proof, flags);

        assertEq(token.totalSupply(), 1, "supply after refused re-issues");
        for (uint32 i = 0; i < KeyBatch.LEAVES; ++i) {
            assertTrue(token.isIssued(batchId, i) == (i == leafIndex), "only the issued leaf is marked");
        }
    }

    function testFuzz_aLeafIndexRepeatedInOneCallIsRefused(uint64 batchId, uint32 leafSeed) public {
        vm.assume(batchId != 0);
        uint32 leafIndex = uint32(bound(leafSeed, 0, KeyBatch.LEAVES - 1));
        _anchor(batchId);
        (uint32[] memory single,,,) = KeyBatch.single(address(registry), SHOP, batchId, leafIndex);
        uint32[] memory twice = new uint32[](2);
        twice[0] = single[0];
        twice[1] = single[0];
        bytes32[] memory commitments = new bytes32[](2);
        commitments[0] = KeyBatch.commitment(batchId, leafIndex);
        commitments[1] = commitments[0];
        // The same leaf twice cannot form a valid multiproof of this tree, and even with a proof
        // the bitmap refuses it: either way the call reverts and nothing is issued.
        (,, bytes32[] memory proof,) = KeyBatch.single(address(registry), SHOP, batchId, leafIndex);
        uint256[] memory flags = new uint256[](1);
        vm.prank(OPERATOR);
        (bool ok,) = address(token).call(
            abi.encodeCall(EntitlementToken.issue, (SHOP, batchId, BUYER, twice, commitments, proof, flags))
        );
        assertTrue(!ok, "a repeated leaf was issued");
        assertEq(token.totalSupply(), 0, "supply");
    }

    function testFuzz_onlyAnchoredLeavesIssue(uint64 batchId, uint32 leafSeed, bytes32 forgedCommitment, uint64 otherShop)
        public
    {
        vm.assume(batchId != 0 && otherShop != SHOP);
        uint32 leafIndex = uint32(bound(leafSeed, 0, KeyBatch.LEAVES - 1));
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, batchId, leafIndex);

        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.BatchNotAnchored.selector, batchId));
        token.issue(SHOP, batchId, BUYER, indexes, commitments, proof, flags);

        _anchor(batchId);
        vm.assume(forgedCommitment != commitments[0]);
        bytes32 genuine = commitments[0];
        commitments[0] = forgedCommitment;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.InvalidProof.selector, batchId));
        token.issue(SHOP, batchId, BUYER, indexes, commitments, proof, flags);

        commitments[0] = genuine;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.InvalidProof.selector, batchId));
        token.issue(otherShop, batchId, BUYER, indexes, commitments, proof, flags);
        assertEq(token.totalSupply(), 0, "supply");
    }

    // --- transfer ---

    function testFuzz_aTransferLeavesExactlyOneOwner(uint256 tokenSeed, address to, address third) public {
        vm.assume(to != address(0) && to != BUYER && third != address(0));
        _anchor(1);
        _issueWhole(1, BUYER);
        uint256 tokenId = bound(tokenSeed, 1, KeyBatch.LEAVES);
        vm.prank(BUYER);
        token.transferFrom(BUYER, to, tokenId);
        assertEq(token.ownerOf(tokenId), to, "new owner");
        assertEq(token.balanceOf(BUYER), KeyBatch.LEAVES - 1, "sender balance");
        assertEq(token.balanceOf(to), 1, "receiver balance");
        // The former owner can no longer move it, whoever it names as the sender.
        vm.prank(BUYER);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, BUYER, tokenId, to));
        token.transferFrom(BUYER, third, tokenId);
        if (third != to) {
            vm.prank(BUYER);
            vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, BUYER, tokenId));
            token.transferFrom(to, third, tokenId);
        }
        for (uint256 id = 1; id <= KeyBatch.LEAVES; ++id) {
            assertEq(token.ownerOf(id), id == tokenId ? to : BUYER, "owner of every token in the run");
        }
    }

    function testFuzz_aStrangerCannotMoveAToken(uint256 tokenSeed, address stranger, address to) public {
        vm.assume(stranger != BUYER && to != address(0));
        _anchor(1);
        _issueWhole(1, BUYER);
        uint256 tokenId = bound(tokenSeed, 1, KeyBatch.LEAVES);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, stranger, tokenId));
        token.transferFrom(BUYER, to, tokenId);
        assertEq(token.ownerOf(tokenId), BUYER, "owner unchanged");
    }

    function testFuzz_sealedTokensMoveOnlyInCustody(uint256 tokenSeed, bytes32 fromHolder, bytes32 toHolder, address wallet)
        public
    {
        vm.assume(wallet != address(0) && wallet != CUSTODIAN);
        _anchor(1);
        _issueWhole(1, CUSTODIAN);
        uint256 tokenId = bound(tokenSeed, 1, KeyBatch.LEAVES);
        bytes32[] memory from = new bytes32[](1);
        bytes32[] memory to = new bytes32[](1);
        from[0] = fromHolder;
        to[0] = toHolder;
        // Sealed and in custody: a resale between custodial accounts is recorded, the owner stays.
        vm.prank(OPERATOR);
        token.recordCustodialTransfers(_one(tokenId), from, to);
        assertEq(token.ownerOf(tokenId), CUSTODIAN, "custodial resale keeps the custodian as owner");
        // Withdrawn to a wallet: no more custodial records for it.
        vm.prank(CUSTODIAN);
        token.transferFrom(CUSTODIAN, wallet, tokenId);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.NotInCustody.selector, tokenId, wallet));
        token.recordCustodialTransfers(_one(tokenId), from, to);
    }

    // --- locks and revocation ---

    function testFuzz_aRedeemedTokenNeverMoves(uint256 tokenSeed, address to, address spender, bool inCustody) public {
        vm.assume(to != address(0) && spender != address(0));
        address holder = inCustody ? CUSTODIAN : BUYER;
        vm.assume(spender != holder);
        _anchor(1);
        _issueWhole(1, holder);
        uint256 tokenId = bound(tokenSeed, 1, KeyBatch.LEAVES);
        vm.prank(holder);
        token.approve(spender, tokenId);
        vm.prank(holder);
        token.setApprovalForAll(spender, true);
        vm.prank(OPERATOR);
        token.redeem(_one(tokenId));
        assertTrue(token.locked(tokenId), "locked after redemption");

        vm.prank(holder);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.TokenLocked.selector, tokenId));
        token.transferFrom(holder, to, tokenId);
        vm.prank(spender);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.TokenLocked.selector, tokenId));
        token.safeTransferFrom(holder, to, tokenId);
        bytes32[] memory holders = new bytes32[](1);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.TokenLocked.selector, tokenId));
        token.recordCustodialTransfers(_one(tokenId), holders, holders);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.AlreadyRedeemed.selector, tokenId));
        token.redeem(_one(tokenId));
        assertEq(token.ownerOf(tokenId), holder, "owner after every attempt");
    }

    function testFuzz_aRevokedTokenNeverMovesNorRedeems(uint256 tokenSeed, bytes32 reason, address to, bool redeemFirst)
        public
    {
        vm.assume(to != address(0));
        _anchor(1);
        _issueWhole(1, BUYER);
        uint256 tokenId = bound(tokenSeed, 1, KeyBatch.LEAVES);
        if (redeemFirst) {
            vm.prank(OPERATOR);
            token.redeem(_one(tokenId));
        }
        vm.prank(OPERATOR);
        token.revoke(_one(tokenId), reason);
        assertTrue(token.isRevoked(tokenId) && token.locked(tokenId), "revoked and locked");

        vm.prank(BUYER);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.TokenRevoked.selector, tokenId));
        token.transferFrom(BUYER, to, tokenId);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.TokenRevoked.selector, tokenId));
        token.redeem(_one(tokenId));
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.AlreadyRevoked.selector, tokenId));
        token.revoke(_one(tokenId), reason);
        assertEq(token.ownerOf(tokenId), BUYER, "owner after every attempt");
    }

    function testFuzz_locksTouchOnlyTheirToken(uint256 tokenSeed, uint256 otherSeed, address to) public {
        vm.assume(to != address(0) && to != BUYER);
        _anchor(1);
        _anchor(2);
        _issueWhole(1, BUYER);
        _issueWhole(2, BUYER);
        uint256 tokenId = bound(tokenSeed, 1, 2 * KeyBatch.LEAVES);
        uint256 otherId = bound(otherSeed, 1, 2 * KeyBatch.LEAVES);
        vm.assume(otherId != tokenId);
        vm.prank(OPERATOR);
        token.redeem(_one(tokenId));
        assertTrue(!token.locked(otherId), "a neighbour was locked");
        vm.prank(BUYER);
        token.transferFrom(BUYER, to, otherId);
        assertEq(token.ownerOf(otherId), to, "neighbour moved");
        assertEq(token.ownerOf(tokenId), BUYER, "redeemed token stayed");
    }

    // --- royalties (ERC-2981) ---

    function testFuzz_royaltyAmountIsWithinBounds(uint96 bpsSeed, uint256 salePrice, address receiver, bool perBatch)
        public
    {
        vm.assume(receiver != address(0));
        uint96 bps = uint96(bound(bpsSeed, 0, 10_000));
        _anchor(1);
        _issueWhole(1, BUYER);
        if (perBatch) {
            vm.prank(OPERATOR);
            token.setRoyalty(1, receiver, bps);
        } else {
            vm.prank(ADMIN);
            token.setDefaultRoyalty(receiver, bps);
        }
        (address paidTo, uint256 amount) = token.royaltyInfo(1, salePrice);
        assertEq(paidTo, receiver, "royalty receiver");
        // floor(salePrice * bps / 10000) computed without the overflowing product.
        uint256 expected = (salePrice / 10_000) * bps + ((salePrice % 10_000) * bps) / 10_000;
        assertEq(amount, expected, "royalty amount");
        assertTrue(amount <= salePrice, "royalty above the price");
    }

    function testFuzz_royaltyAboveTheWholePriceIsRefused(uint96 bps, address receiver) public {
        vm.assume(bps > 10_000 && receiver != address(0));
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.RoyaltyTooHigh.selector, bps, uint96(10_000)));
        token.setRoyalty(1, receiver, bps);
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(EntitlementToken.RoyaltyTooHigh.selector, bps, uint96(10_000)));
        token.setDefaultRoyalty(receiver, bps);
    }

    // --- access control ---

    function _expectUnauthorized(address caller, bytes32 role) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
    }

    function testFuzz_onlyTheOperatorIssuesRedeemsRevokesAndRecords(address caller, uint32 leafSeed) public {
        vm.assume(caller != OPERATOR);
        bytes32 role = token.OPERATOR_ROLE();
        _anchor(1);
        uint32 leafIndex = uint32(bound(leafSeed, 0, KeyBatch.LEAVES - 1));
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, 1, leafIndex);
        _expectUnauthorized(caller, role);
        token.issue(SHOP, 1, BUYER, indexes, commitments, proof, flags);

        _issueOne(1, leafIndex, BUYER);
        _expectUnauthorized(caller, role);
        token.redeem(_one(1));
        _expectUnauthorized(caller, role);
        token.revoke(_one(1), bytes32(0));
        bytes32[] memory holders = new bytes32[](1);
        _expectUnauthorized(caller, role);
        token.recordCustodialTransfers(_one(1), holders, holders);
        _expectUnauthorized(caller, role);
        token.setRoyalty(1, caller, 100);
        assertTrue(!token.locked(1) && !token.isRevoked(1), "state changed by a refused call");
    }

    function testFuzz_onlyTheAdminConfiguresAndPauses(address caller) public {
        vm.assume(caller != ADMIN);
        bytes32 role = token.DEFAULT_ADMIN_ROLE();
        bytes32 operatorRole = token.OPERATOR_ROLE();
        _expectUnauthorized(caller, role);
        token.setDefaultRoyalty(caller, 100);
        _expectUnauthorized(caller, role);
        token.setBaseURI("https://evil.example/");
        _expectUnauthorized(caller, role);
        token.pause();
        _expectUnauthorized(caller, role);
        token.grantRole(operatorRole, caller);
        assertTrue(!token.hasRole(operatorRole, caller), "role granted by a stranger");

        vm.prank(ADMIN);
        token.pause();
        _expectUnauthorized(caller, role);
        token.unpause();
        assertTrue(token.paused(), "unpaused by a stranger");
    }

    function testFuzz_aPauseStopsIssuanceAndLocks(uint32 leafSeed) public {
        _anchor(1);
        uint32 leafIndex = uint32(bound(leafSeed, 0, KeyBatch.LEAVES - 1));
        _issueOne(1, leafIndex, BUYER);
        vm.prank(ADMIN);
        token.pause();
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, 1, (leafIndex + 1) % KeyBatch.LEAVES);
        vm.prank(OPERATOR);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        token.issue(SHOP, 1, BUYER, indexes, commitments, proof, flags);
        vm.prank(OPERATOR);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        token.redeem(_one(1));
    }
}
