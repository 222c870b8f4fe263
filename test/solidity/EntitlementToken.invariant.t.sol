// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EntitlementToken} from "../../contracts/EntitlementToken.sol";
import {KeyRegistry} from "../../contracts/KeyRegistry.sol";
import {FuzzBase, Vm} from "./support/Vm.sol";
import {KeyBatch} from "./support/KeyBatch.sol";

/**
 * @notice The invariant fuzzer's only target: every call is a step a real party could take
 * (issue a leaf or a whole batch, transfer as some actor, approve, redeem, revoke, record a
 * custodial resale, a stranger trying an operator's call). It keeps a model of what must have
 * happened and checks each step's outcome against it at once: a step the model says must fail
 * must revert, one it says must succeed must succeed.
 */
contract EntitlementHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint64 internal constant SHOP = 7;
    uint64 internal constant BATCHES = 3;

    KeyRegistry public immutable registry;
    EntitlementToken public immutable token;
    address public immutable custodian;
    address[4] public actors;

    mapping(uint64 batchId => mapping(uint32 leafIndex => bool)) public issued;
    uint256 public issuedCount;
    mapping(uint256 tokenId => address) public ownerOf;
    mapping(uint256 tokenId => address) public approved;
    mapping(uint256 tokenId => bool) public locked;
    mapping(uint256 tokenId => bool) public revoked;
    /// @notice The owner when the token was first locked: it must never change after that.
    mapping(uint256 tokenId => address) public ownerWhenLocked;
    uint256 public refusedSteps;
    /// @notice Steps whose outcome contradicted the model. A handler that reverted would be
    /// ignored by the fuzzer (a reverted call is just discarded), so breaches are recorded and an
    /// invariant reads them.
    uint256 public violations;
    string public firstViolation;

    constructor(KeyRegistry registry_, EntitlementToken token_, address custodian_) {
        registry = registry_;
        token = token_;
        custodian = custodian_;
        actors = [custodian_, address(0xB0B), address(0xCA201), address(0xDA7E)];
    }

    function _check(bool condition, string memory what) private {
        if (condition) return;
        if (violations == 0) firstViolation = what;
        ++violations;
    }

    function actorCount() external pure returns (uint256) {
        return 4;
    }

    function _actor(uint256 seed) private view returns (address) {
        return actors[seed % 4];
    }

    function _batch(uint256 seed) private pure returns (uint64) {
        return uint64(1 + seed % BATCHES);
    }

    function _existing(uint256 seed) private view returns (uint256) {
        return 1 + seed % issuedCount;
    }

    function _one(uint256 tokenId) private pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = tokenId;
    }

    function _recordRun(uint256 first, uint256 count, address to) private {
        for (uint256 id = first; id < first + count; ++id) {
            ownerOf[id] = to;
        }
        issuedCount += count;
    }

    function issueOne(uint256 batchSeed, uint32 leafSeed, uint256 toSeed) external {
        uint64 batchId = _batch(batchSeed);
        uint32 leafIndex = leafSeed % KeyBatch.LEAVES;
        address to = _actor(toSeed);
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, batchId, leafIndex);
        try token.issue(SHOP, batchId, to, indexes, commitments, proof, flags) returns (uint256 first) {
            _check(!issued[batchId][leafIndex], "an issued leaf was issued again");
            _check(first == issuedCount + 1, "token ids are not consecutive");
            issued[batchId][leafIndex] = true;
            _recordRun(first, 1, to);
        } catch {
            _check(issued[batchId][leafIndex], "a fresh leaf with a valid proof was refused");
            ++refusedSteps;
        }
    }

    function issueWholeBatch(uint256 batchSeed, uint256 toSeed) external {
        uint64 batchId = _batch(batchSeed);
        address to = _actor(toSeed);
        bool anyIssued;
        for (uint32 i = 0; i < KeyBatch.LEAVES; ++i) {
            anyIssued = anyIssued || issued[batchId][i];
        }
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.whole(batchId);
        try token.issue(SHOP, batchId, to, indexes, commitments, proof, flags) returns (uint256 first) {
            _check(!anyIssued, "a batch with an issued leaf was issued again");
            for (uint32 i = 0; i < KeyBatch.LEAVES; ++i) {
                issued[batchId][i] = true;
            }
            _recordRun(first, KeyBatch.LEAVES, to);
        } catch {
            _check(anyIssued, "a fresh batch with a valid proof was refused");
            ++refusedSteps;
        }
    }

    function transfer(uint256 tokenSeed, uint256 callerSeed, uint256 fromSeed, uint256 toSeed) external {
        if (issuedCount == 0) return;
        uint256 tokenId = _existing(tokenSeed);
        address caller = _actor(callerSeed);
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        address owner = ownerOf[tokenId];
        bool allowed = !locked[tokenId] && from == owner
            && (caller == owner || caller == approved[tokenId] || token.isApprovedForAll(owner, caller));
        vm.prank(caller);
        try token.transferFrom(from, to, tokenId) {
            _check(allowed, "a transfer the rules forbid went through");
            ownerOf[tokenId] = to;
            approved[tokenId] = address(0);
        } catch {
            _check(!allowed, "an allowed transfer was refused");
            ++refusedSteps;
        }
    }

    function approve(uint256 tokenSeed, uint256 callerSeed, uint256 spenderSeed) external {
        if (issuedCount == 0) return;
        uint256 tokenId = _existing(tokenSeed);
        address caller = _actor(callerSeed);
        address spender = _actor(spenderSeed);
        address owner = ownerOf[tokenId];
        bool allowed = caller == owner || token.isApprovedForAll(owner, caller);
        vm.prank(caller);
        try token.approve(spender, tokenId) {
            _check(allowed, "an approval by a non-owner went through");
            approved[tokenId] = spender;
        } catch {
            _check(!allowed, "an owner's approval was refused");
            ++refusedSteps;
        }
    }

    function setApprovalForAll(uint256 callerSeed, uint256 operatorSeed, bool value) external {
        vm.prank(_actor(callerSeed));
        token.setApprovalForAll(_actor(operatorSeed), value);
    }

    function _lock(uint256 tokenId) private {
        if (!locked[tokenId]) ownerWhenLocked[tokenId] = ownerOf[tokenId];
        locked[tokenId] = true;
    }

    function redeem(uint256 tokenSeed) external {
        if (issuedCount == 0) return;
        uint256 tokenId = _existing(tokenSeed);
        bool allowed = !locked[tokenId] && !revoked[tokenId];
        try token.redeem(_one(tokenId)) {
            _check(allowed, "a locked or revoked token was redeemed");
            _lock(tokenId);
        } catch {
            _check(!allowed, "a redeemable token was refused");
            ++refusedSteps;
        }
    }

    function revoke(uint256 tokenSeed, bytes32 reason) external {
        if (issuedCount == 0) return;
        uint256 tokenId = _existing(tokenSeed);
        try token.revoke(_one(tokenId), reason) {
            _check(!revoked[tokenId], "a token was revoked twice");
            _lock(tokenId);
            revoked[tokenId] = true;
        } catch {
            _check(revoked[tokenId], "a revocable token was refused");
            ++refusedSteps;
        }
    }

    function recordCustodialResale(uint256 tokenSeed, bytes32 fromHolder, bytes32 toHolder) external {
        if (issuedCount == 0) return;
        uint256 tokenId = _existing(tokenSeed);
        bool allowed = !locked[tokenId] && ownerOf[tokenId] == custodian;
        bytes32[] memory from = new bytes32[](1);
        bytes32[] memory to = new bytes32[](1);
        from[0] = fromHolder;
        to[0] = toHolder;
        try token.recordCustodialTransfers(_one(tokenId), from, to) {
            _check(allowed, "a resale of a revealed or withdrawn token was recorded");
        } catch {
            _check(!allowed, "a sealed token in custody could not be resold");
            ++refusedSteps;
        }
    }

    /// @notice An actor (no role) tries each operator call; every one must be refused.
    function strangerTriesOperatorCalls(uint256 callerSeed, uint256 tokenSeed, uint32 leafSeed) external {
        address caller = _actor(callerSeed);
        uint64 batchId = _batch(tokenSeed);
        (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags) =
            KeyBatch.single(address(registry), SHOP, batchId, leafSeed % KeyBatch.LEAVES);
        bool anySucceeded;
        vm.prank(caller);
        try token.issue(SHOP, batchId, caller, indexes, commitments, proof, flags) {
            anySucceeded = true;
        } catch {}
        if (issuedCount != 0) {
            uint256 tokenId = _existing(tokenSeed);
            vm.prank(caller);
            try token.redeem(_one(tokenId)) {
                anySucceeded = true;
            } catch {}
            vm.prank(caller);
            try token.revoke(_one(tokenId), bytes32(0)) {
                anySucceeded = true;
            } catch {}
        }
        vm.prank(caller);
        try token.setRoyalty(batchId, caller, 10_000) {
            anySucceeded = true;
        } catch {}
        _check(!anySucceeded, "an actor without a role did an operator's call");
    }
}

/**
 * @notice Invariants over any sequence of the handler's steps: no token has two owners (the
 * chain's owner of every token is the model's, and the actors' balances add up to the supply), a
 * leaf is issued at most once (the chain's issued bitmap has exactly the model's leaves, as many
 * as tokens), a redeemed or revoked token never moves and stays locked.
 */
contract EntitlementTokenInvariantTest is FuzzBase {
    address private constant ADMIN = address(0xA11CE);
    address private constant ISSUER = address(0x15501);
    address private constant CUSTODIAN = address(0xC057);

    KeyRegistry private registry;
    EntitlementToken private token;
    EntitlementHandler private handler;

    function setUp() public {
        registry = new KeyRegistry(ADMIN, ISSUER);
        // The handler is deployed at the address the token's operator will have: it is the operator.
        address handlerAddress = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        token = new EntitlementToken(ADMIN, handlerAddress, registry, CUSTODIAN);
        handler = new EntitlementHandler(registry, token, CUSTODIAN);
        assertEq(address(handler), handlerAddress, "handler address");
        for (uint64 batchId = 1; batchId <= 3; ++batchId) {
            vm.prank(ISSUER);
            registry.anchorBatch(batchId, 7, KeyBatch.root(address(registry), 7, batchId), KeyBatch.LEAVES);
        }
        targetContract(address(handler));
    }

    function invariant_everyStepHadTheOutcomeTheRulesSay() public view {
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    function invariant_everyTokenHasExactlyItsModelOwner() public view {
        uint256 supply = token.totalSupply();
        assertEq(supply, handler.issuedCount(), "supply");
        for (uint256 id = 1; id <= supply; ++id) {
            assertEq(token.ownerOf(id), handler.ownerOf(id), "owner");
        }
        uint256 balances;
        for (uint256 i = 0; i < handler.actorCount(); ++i) {
            address actor = handler.actors(i);
            uint256 owned;
            for (uint256 id = 1; id <= supply; ++id) {
                if (handler.ownerOf(id) == actor) ++owned;
            }
            assertEq(token.balanceOf(actor), owned, "balance");
            balances += owned;
        }
        assertEq(balances, supply, "balances add up to the supply");
    }

    function invariant_aLeafIsIssuedAtMostOnce() public view {
        uint256 marked;
        for (uint64 batchId = 1; batchId <= 3; ++batchId) {
            for (uint32 leafIndex = 0; leafIndex < KeyBatch.LEAVES; ++leafIndex) {
                bool onChain = token.isIssued(batchId, leafIndex);
                assertTrue(onChain == handler.issued(batchId, leafIndex), "issued bitmap differs from the model");
                if (onChain) ++marked;
            }
        }
        assertEq(marked, token.totalSupply(), "one token per issued leaf");
    }

    function invariant_lockedTokensNeverMove() public view {
        uint256 supply = token.totalSupply();
        for (uint256 id = 1; id <= supply; ++id) {
            if (!handler.locked(id)) continue;
            assertTrue(token.locked(id), "a redeemed token was unlocked");
            assertTrue(token.isRevoked(id) == handler.revoked(id), "revocation differs from the model");
            assertEq(token.ownerOf(id), handler.ownerWhenLocked(id), "a locked token moved");
        }
    }
}
