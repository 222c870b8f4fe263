// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EntitlementToken} from "../../contracts/EntitlementToken.sol";
import {KeyRegistry} from "../../contracts/KeyRegistry.sol";
import {FuzzBase} from "./support/Vm.sol";
import {KeyBatch} from "./support/KeyBatch.sol";

/**
 * @notice Property tests of ERC-4907 rentals on the entitlement token, every input fuzzed (terms,
 * the moment something is tried, the parties): no two users at once, the owner refused every act
 * while a rental runs, and the expiry alone (a warp, no transaction) ending the user's right and
 * giving the owner its rights back. The expected outcome of each step is computed here from the
 * times, not read from the contract.
 */
contract EntitlementTokenRentalTest is FuzzBase {
    address private constant ADMIN = address(0xA11CE);
    address private constant OPERATOR = address(0x0BE7A7);
    address private constant ISSUER = address(0x15501);
    address private constant CUSTODIAN = address(0xC057);
    uint64 private constant SHOP = 7;
    uint64 private constant BATCH = 3;
    uint256 private constant START = 1_800_000_000;
    uint256 private constant MAX_TERM = 400 days;

    KeyRegistry private registry;
    EntitlementToken private token;

    function setUp() public {
        vm.warp(START);
        registry = new KeyRegistry(ADMIN, ISSUER);
        token = new EntitlementToken(ADMIN, OPERATOR, registry, CUSTODIAN);
        vm.prank(ISSUER);
        registry.anchorBatch(BATCH, SHOP, KeyBatch.root(address(registry), SHOP, BATCH), KeyBatch.LEAVES);
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.whole(BATCH);
        vm.prank(OPERATOR);
        token.issue(SHOP, BATCH, CUSTODIAN, indexes, commitments, proof, flags);
        uint256[] memory all = new uint256[](KeyBatch.LEAVES);
        for (uint256 i = 0; i < all.length; ++i) {
            all[i] = i + 1;
        }
        vm.prank(OPERATOR);
        token.enableRental(all);
    }

    function _tokenOf(uint256 seed) private pure returns (uint256) {
        return 1 + seed % KeyBatch.LEAVES;
    }

    function _user(address seed) private pure returns (address) {
        return seed == address(0) ? address(0xBEEF) : seed;
    }

    function _one(uint256 tokenId) private pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = tokenId;
    }

    function _rent(uint256 tokenId, address user, uint256 expires) private {
        vm.prank(OPERATOR);
        token.setUser(tokenId, user, uint64(expires));
    }

    function _rentedError(uint256 tokenId, address user, uint256 expires) private pure returns (bytes memory) {
        return abi.encodeWithSelector(EntitlementToken.TokenRented.selector, tokenId, user, uint64(expires));
    }

    /// @notice While a rental runs nobody else can become the user, and the first user stays the
    /// only one; once it has expired the next rental replaces it entirely.
    function testFuzz_noTwoUsersAtOnce(uint256 tokenSeed, address first, address second, uint256 term, uint256 triedAt)
        public
    {
        uint256 tokenId = _tokenOf(tokenSeed);
        address firstUser = _user(first);
        address secondUser = _user(second);
        uint256 expires = START + bound(term, 1, MAX_TERM);
        _rent(tokenId, firstUser, expires);
        uint256 at = bound(triedAt, START, expires + MAX_TERM);
        vm.warp(at);
        if (at < expires) {
            vm.expectRevert(_rentedError(tokenId, firstUser, expires));
            _rent(tokenId, secondUser, at + 1 days);
            assertEq(token.userOf(tokenId), firstUser, "the running user");
            assertEq(token.userExpires(tokenId), expires, "the running expiry");
        } else {
            assertEq(token.userOf(tokenId), address(0), "no user after the expiry");
            _rent(tokenId, secondUser, at + 1 days);
            assertEq(token.userOf(tokenId), secondUser, "the next user");
            assertEq(token.userExpires(tokenId), at + 1 days, "the next expiry");
        }
        // Renting one token never touches its neighbours (cells share words).
        uint256 neighbour = tokenId == KeyBatch.LEAVES ? tokenId - 1 : tokenId + 1;
        assertEq(token.userOf(neighbour), address(0), "the neighbour's user");
        assertEq(token.userExpires(neighbour), 0, "the neighbour's expiry");
    }

    /// @notice Until the expiry the owner can neither reveal (redeem), sell (custodial record),
    /// transfer nor withdraw; from the expiry on every one of them works again.
    function testFuzz_ownerRefusedWhileRentedAndFreeAfter(
        uint256 tokenSeed,
        address renter,
        uint256 term,
        uint256 triedAt,
        uint8 act,
        address wallet
    ) public {
        uint256 tokenId = _tokenOf(tokenSeed);
        address user = _user(renter);
        address to = wallet == address(0) || wallet == CUSTODIAN || wallet.code.length != 0 ? address(0xCAFE) : wallet;
        uint256 expires = START + bound(term, 1, MAX_TERM);
        _rent(tokenId, user, expires);
        uint256 at = bound(triedAt, START, expires + MAX_TERM);
        vm.warp(at);
        bool running = at < expires;
        if (running) vm.expectRevert(_rentedError(tokenId, user, expires));
        uint256 which = act % 4;
        if (which == 0) {
            vm.prank(OPERATOR);
            token.redeem(_one(tokenId));
        } else if (which == 1) {
            bytes32[] memory holders = new bytes32[](1);
            holders[0] = keccak256("holder");
            vm.prank(OPERATOR);
            token.recordCustodialTransfers(_one(tokenId), holders, holders);
        } else if (which == 2) {
            vm.prank(CUSTODIAN);
            token.transferFrom(CUSTODIAN, to, tokenId);
        } else {
            vm.prank(CUSTODIAN);
            token.safeTransferFrom(CUSTODIAN, to, tokenId);
        }
        if (running) {
            assertEq(token.ownerOf(tokenId), CUSTODIAN, "the owner while rented");
            assertTrue(!token.locked(tokenId), "not redeemed while rented");
        } else if (which >= 2) {
            assertEq(token.ownerOf(tokenId), to, "withdrawn after the expiry");
        } else if (which == 0) {
            assertTrue(token.locked(tokenId), "redeemed after the expiry");
        }
    }

    /// @notice The user's right ends at the expiry with no transaction: the same rental read
    /// before and after a warp past it, nothing sent in between.
    function testFuzz_theExpiryAloneEndsTheRight(uint256 tokenSeed, address renter, uint256 term, uint256 after_)
        public
    {
        uint256 tokenId = _tokenOf(tokenSeed);
        address user = _user(renter);
        uint256 expires = START + bound(term, 1, MAX_TERM);
        _rent(tokenId, user, expires);
        vm.warp(expires - 1);
        assertEq(token.userOf(tokenId), user, "the user a second before the expiry");
        vm.warp(expires + bound(after_, 0, MAX_TERM));
        assertEq(token.userOf(tokenId), address(0), "the user at or after the expiry");
        assertEq(token.ownerOf(tokenId), CUSTODIAN, "the owner all along");
    }
}
