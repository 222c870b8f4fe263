// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {KeyRegistry} from "../../contracts/KeyRegistry.sol";
import {LedgerAnchor} from "../../contracts/LedgerAnchor.sol";
import {PaymentRouter} from "../../contracts/PaymentRouter.sol";
import {TestStablecoin} from "../../contracts/TestStablecoin.sol";
import {FuzzBase} from "./support/Vm.sol";

/**
 * @notice Property tests of the other contracts: the key registry (roots are immutable once
 * anchored, only issuers anchor, only the admin pauses), the ledger anchor (sizes strictly
 * increase, only the anchorer anchors) and the payment router (every payment reaches the treasury
 * in full, only the admin moves the treasury).
 */
contract PlatformFuzzTest is FuzzBase {
    address private constant ADMIN = address(0xA11CE);
    address private constant ISSUER = address(0x15501);
    address private constant ANCHORER = address(0xA2C4);
    address private constant TREASURY = address(0x7EA5);

    KeyRegistry private registry;
    LedgerAnchor private ledgerAnchor;
    PaymentRouter private router;
    TestStablecoin private stablecoin;

    function setUp() public {
        registry = new KeyRegistry(ADMIN, ISSUER);
        ledgerAnchor = new LedgerAnchor(ADMIN, ANCHORER);
        router = new PaymentRouter(ADMIN, TREASURY);
        stablecoin = new TestStablecoin(address(this));
    }

    function _expectUnauthorized(address caller, bytes32 role) private {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
    }

    // --- KeyRegistry ---

    function testFuzz_aRootIsAnchoredOnceAndNeverChanges(uint64 batchId, uint64 shopId, bytes32 root, bytes32 other, uint32 keys)
        public
    {
        vm.assume(root != bytes32(0) && other != bytes32(0) && keys != 0);
        vm.prank(ISSUER);
        registry.anchorBatch(batchId, shopId, root, keys);
        vm.prank(ISSUER);
        vm.expectRevert(abi.encodeWithSelector(KeyRegistry.BatchAlreadyAnchored.selector, batchId));
        registry.anchorBatch(batchId, shopId, other, keys);
        assertTrue(registry.rootOf(batchId) == root, "root changed");
    }

    function testFuzz_onlyIssuersAnchorAndOnlyTheAdminPauses(address caller, uint64 batchId, bytes32 root) public {
        vm.assume(caller != ISSUER && caller != ADMIN && root != bytes32(0));
        bytes32 issuerRole = registry.ISSUER_ROLE();
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        _expectUnauthorized(caller, issuerRole);
        registry.anchorBatch(batchId, 1, root, 1);
        _expectUnauthorized(caller, adminRole);
        registry.pause();
        _expectUnauthorized(caller, adminRole);
        registry.grantRole(issuerRole, caller);
        assertTrue(registry.rootOf(batchId) == bytes32(0), "anchored by a stranger");
        assertTrue(!registry.paused(), "paused by a stranger");
    }

    // --- LedgerAnchor ---

    function testFuzz_ledgerAnchorSizesStrictlyIncrease(uint64 first, uint64 second, bytes32 root) public {
        vm.assume(root != bytes32(0) && first != 0);
        vm.prank(ANCHORER);
        ledgerAnchor.anchor(first, root);
        vm.prank(ANCHORER);
        if (second <= first) {
            vm.expectRevert(abi.encodeWithSelector(LedgerAnchor.NonIncreasingSize.selector, first, second));
            ledgerAnchor.anchor(second, root);
            assertEq(ledgerAnchor.anchorCount(), 1, "anchor count after a refused anchor");
        } else {
            ledgerAnchor.anchor(second, root);
            (uint64 size,, uint256 index) = ledgerAnchor.latestAnchor();
            assertEq(size, second, "latest size");
            assertEq(index, 1, "latest index");
        }
    }

    function testFuzz_onlyTheAnchorerAnchorsTheLedger(address caller, uint64 size, bytes32 root) public {
        vm.assume(caller != ANCHORER && size != 0 && root != bytes32(0));
        _expectUnauthorized(caller, ledgerAnchor.ANCHOR_ROLE());
        ledgerAnchor.anchor(size, root);
        assertEq(ledgerAnchor.anchorCount(), 0, "anchored by a stranger");
    }

    // --- PaymentRouter ---

    function testFuzz_aNativePaymentReachesTheTreasuryInFull(address payer, bytes32 orderRef, uint128 amount) public {
        vm.assume(payer != TREASURY && payer != address(router) && amount != 0);
        vm.deal(payer, amount);
        uint256 before = TREASURY.balance;
        vm.prank(payer);
        router.payNative{value: amount}(orderRef);
        assertEq(TREASURY.balance - before, amount, "treasury received");
        assertEq(address(router).balance, 0, "router keeps nothing");
    }

    function testFuzz_aTokenPaymentReachesTheTreasuryInFull(address payer, bytes32 orderRef, uint256 amount) public {
        vm.assume(payer != address(0) && payer != TREASURY && amount != 0);
        stablecoin.mint(payer, amount);
        vm.prank(payer);
        stablecoin.approve(address(router), amount);
        vm.prank(payer);
        router.payToken(orderRef, address(stablecoin), amount);
        assertEq(stablecoin.balanceOf(TREASURY), amount, "treasury received");
        assertEq(stablecoin.balanceOf(payer), 0, "payer paid");
        assertEq(stablecoin.balanceOf(address(router)), 0, "router keeps nothing");
    }

    function testFuzz_onlyTheAdminMovesTheTreasury(address caller, address newTreasury) public {
        vm.assume(caller != ADMIN && newTreasury != address(0));
        _expectUnauthorized(caller, router.DEFAULT_ADMIN_ROLE());
        router.setTreasury(newTreasury);
        assertEq(router.treasury(), TREASURY, "treasury moved by a stranger");
    }
}
